#include "blob/read_cache.h"

#include <gtest/gtest.h>

namespace kiln::blob {
namespace {

TEST(ReadCache, RefusesRecordsReadBeforeAnErase) {
  ReadCache<std::string> cache(1 << 20);
  std::vector<std::string> keys{"k"};
  uint64_t before = cache.generation();
  cache.begin_change(&keys);  // a commit lands while a reader holds an older snapshot
  cache.insert("k", std::string("old"), before, 3);
  cache.insert("k", std::string("either"), cache.generation(), 3);  // read during the commit
  cache.end_change();
  std::optional<std::string> out;
  EXPECT_FALSE(cache.lookup("k", out));
  cache.insert("k", std::string("old"), before, 3);
  EXPECT_FALSE(cache.lookup("k", out));
  cache.insert("k", std::string("new"), cache.generation(), 3);
  ASSERT_TRUE(cache.lookup("k", out));
  EXPECT_EQ(*out, "new");
}

TEST(ReadCache, AChangeForgetsOnlyItsKeysOrAllOfThem) {
  ReadCache<int> cache(1 << 20);
  cache.insert("a", 1, cache.generation(), 8);
  cache.insert("b", 2, cache.generation(), 8);
  std::vector<std::string> keys{"a"};
  cache.begin_change(&keys);
  cache.end_change();
  std::optional<int> out;
  EXPECT_FALSE(cache.lookup("a", out));
  ASSERT_TRUE(cache.lookup("b", out));
  EXPECT_EQ(*out, 2);
  cache.begin_change(nullptr);
  cache.end_change();
  EXPECT_FALSE(cache.lookup("b", out));
}

TEST(ReadCache, CachesAbsenceAsAHit) {
  ReadCache<int> cache(1 << 20);
  cache.insert("gone", std::nullopt, cache.generation(), 0);
  std::optional<int> out = 5;
  EXPECT_TRUE(cache.lookup("gone", out));
  EXPECT_FALSE(out);
}

TEST(ReadCache, StaysWithinItsBudget) {
  ReadCache<int> cache(64 << 10);
  for (int i = 0; i < 1000; ++i) cache.insert("key" + std::to_string(i), i, cache.generation(), 1000);
  // Each entry costs ~1 KiB: at most ~64 of the last ones can be present.
  int present = 0;
  std::optional<int> out;
  for (int i = 0; i < 1000; ++i) present += cache.lookup("key" + std::to_string(i), out);
  EXPECT_GT(present, 0);
  EXPECT_LE(present, 64);
  EXPECT_TRUE(cache.lookup("key999", out));
  // A record bigger than a quarter of the budget is never cached.
  cache.insert("huge", 1, cache.generation(), 32 << 10);
  EXPECT_FALSE(cache.lookup("huge", out));
}

}  // namespace
}  // namespace kiln::blob
