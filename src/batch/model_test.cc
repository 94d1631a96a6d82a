#include "batch/model.h"

#include <gtest/gtest.h>

#include "batch/errors.h"

namespace kiln::batch {
namespace {

TEST(Model, Durations) {
  EXPECT_EQ(parse_duration_us("PT1S"), 1000000);
  EXPECT_EQ(parse_duration_us("PT1H30M"), 5400LL * 1000000);
  EXPECT_EQ(parse_duration_us("P7D"), 7LL * 86400 * 1000000);
  EXPECT_EQ(parse_duration_us("PT0.5S"), 500000);
  EXPECT_EQ(parse_duration_us(kMaxDuration), INT64_MAX);
  EXPECT_FALSE(parse_duration_us("1H"));
  EXPECT_FALSE(parse_duration_us("PT"));
  EXPECT_FALSE(parse_duration_us("P1H"));
  EXPECT_EQ(format_duration(90 * 1000000LL), "PT1M30S");
  EXPECT_EQ(format_duration(7LL * 86400 * 1000000), "P7D");
}

TEST(Model, Ids) {
  EXPECT_TRUE(valid_id("task-1_A"));
  EXPECT_FALSE(valid_id(""));
  EXPECT_FALSE(valid_id("a b"));
  EXPECT_FALSE(valid_id("../x"));
  EXPECT_FALSE(valid_id(std::string(65, 'a')));
  EXPECT_TRUE(valid_id(std::string(64, 'a')));
}

TEST(Model, EtagsIncrease) {
  std::string a = new_etag(), b = new_etag();
  EXPECT_EQ(a.rfind("0x", 0), 0u);
  EXPECT_NE(a, b);
}

TEST(Model, TypedReadsRaiseAzureErrors) {
  Json body = Json::parse(R"({"id": 5, "n": "x", "m": 3})");
  try {
    req_string(body, "missing", "startTask");
    FAIL();
  } catch (const BatchError& e) {
    EXPECT_EQ(e.code, "MissingRequiredProperty");
    EXPECT_EQ(e.values[0].second, "startTask.missing");
  }
  EXPECT_THROW(req_string(body, "id", ""), BatchError);
  try {
    opt_int(body, "m", "", 0, 2);
    FAIL();
  } catch (const BatchError& e) {
    EXPECT_EQ(e.code, "InvalidPropertyValue");
  }
  EXPECT_THROW(parse_body("[1]"), BatchError);
  EXPECT_THROW(parse_body("{"), BatchError);
}

TEST(Model, VmSizesAndImages) {
  const VmSize* s = find_vm_size("STANDARD_A1_V2");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->cores, 1);
  EXPECT_EQ(find_vm_size("standard_nope"), nullptr);
  EXPECT_TRUE(known_node_agent_sku("batch.node.ubuntu 22.04"));
  EXPECT_FALSE(known_node_agent_sku("batch.node.windows amd64"));
  EXPECT_GE(supported_images().size(), 4u);
}

}  // namespace
}  // namespace kiln::batch
