#include "blob/conditions.h"

#include <gtest/gtest.h>

#include "core/time_format.h"

namespace kiln::blob {
namespace {

const std::string kEtag = "\"0x8D1\"";
const int64_t kModified = 1700000000LL * 1000000;

TEST(Conditions, IfMatch) {
  Conditions c;
  c.if_match = "\"0x8D1\"";
  EXPECT_EQ(evaluate(c, true, kEtag, kModified, false), ConditionResult::kPass);
  c.if_match = "\"0x8D2\", \"0x8D1\"";
  EXPECT_EQ(evaluate(c, true, kEtag, kModified, false), ConditionResult::kPass);
  c.if_match = "\"0x8D2\"";
  EXPECT_EQ(evaluate(c, true, kEtag, kModified, true), ConditionResult::kFailed);
  c.if_match = "*";
  EXPECT_EQ(evaluate(c, false, "", 0, false), ConditionResult::kFailed);
}

TEST(Conditions, IfNoneMatchReadVsWrite) {
  Conditions c;
  c.if_none_match = kEtag;
  EXPECT_EQ(evaluate(c, true, kEtag, kModified, true), ConditionResult::kNotModified);
  EXPECT_EQ(evaluate(c, true, kEtag, kModified, false), ConditionResult::kFailed);
  c.if_none_match = "*";
  EXPECT_EQ(evaluate(c, false, "", 0, false), ConditionResult::kPass);
}

TEST(Conditions, Dates) {
  http::Headers h;
  h.set("If-Modified-Since", timefmt::rfc1123(timefmt::from_micros(kModified)));
  Conditions c = parse_conditions(h);
  ASSERT_TRUE(c.if_modified_since_us);
  EXPECT_EQ(evaluate(c, true, kEtag, kModified + 500000, true), ConditionResult::kNotModified);
  EXPECT_EQ(evaluate(c, true, kEtag, kModified + 2000000, true), ConditionResult::kPass);
  Conditions u;
  u.if_unmodified_since_us = kModified - 2000000;
  EXPECT_EQ(evaluate(u, true, kEtag, kModified, false), ConditionResult::kFailed);
  http::Headers bad;
  bad.set("If-Modified-Since", "not a date");
  EXPECT_FALSE(parse_conditions(bad).any());
}

}  // namespace
}  // namespace kiln::blob
