#include "batch/odata.h"

#include <gtest/gtest.h>

namespace kiln::batch::odata {
namespace {

using nlohmann::json;

bool eval(const std::string& f, const json& e) {
  std::string err;
  auto filter = parse_filter(f, err);
  EXPECT_TRUE(filter) << f << ": " << err;
  return filter && filter->matches(e);
}

TEST(OData, Comparisons) {
  json t = {{"id", "Task-7"}, {"state", "completed"},
            {"executionInfo", {{"exitCode", 3}, {"endTime", "2024-01-02T03:04:05.1234567Z"}}}};
  EXPECT_TRUE(eval("state eq 'completed'", t));
  EXPECT_TRUE(eval("state eq 'Completed'", t));
  EXPECT_FALSE(eval("state ne 'completed'", t));
  EXPECT_TRUE(eval("executionInfo/exitCode gt 2 and executionInfo/exitCode le 3", t));
  EXPECT_TRUE(eval("not (executionInfo/exitCode eq 0)", t));
  EXPECT_TRUE(eval("state eq 'active' or startswith(id, 'task-')", t));
  EXPECT_TRUE(eval("executionInfo/endTime gt datetime'2024-01-02T03:04:05Z'", t));
  EXPECT_TRUE(eval("executionInfo/endTime lt '2024-01-02T03:04:06Z'", t));
  EXPECT_FALSE(eval("nodeInfo/poolId eq 'p'", t));
  EXPECT_TRUE(eval("nodeInfo/poolId ne 'p'", t));
}

TEST(OData, RequiredStateAndErrors) {
  std::string err;
  auto f = parse_filter("state eq 'active' and id gt 'a'", err);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->required_state(), "active");
  EXPECT_FALSE(parse_filter("state eq 'a' or state eq 'b'", err)->required_state());
  for (const char* bad : {"state eq", "(state eq 'a'", "state eq 'a", "state ~ 1", "startswith(id 'a')"})
    EXPECT_FALSE(parse_filter(bad, err)) << bad;
}

TEST(OData, Select) {
  json e = {{"id", "a"}, {"state", "idle"}, {"url", "u"}};
  EXPECT_EQ(apply_select(e, parse_select("id, state")), (json{{"id", "a"}, {"state", "idle"}}));
  EXPECT_EQ(apply_select(e, parse_select("")), e);
}

}  // namespace
}  // namespace kiln::batch::odata
