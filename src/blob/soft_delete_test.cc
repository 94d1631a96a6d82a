#include "blob/soft_delete.h"

#include <gtest/gtest.h>

namespace kiln::blob {
namespace {

TEST(SoftDelete, DeletedKeysKeepWhatTheyWereAndSortAfterTheBaseBlob) {
  std::string base = deleted_snapshot(1'700'000'000'000'000, "");
  std::string snap = deleted_snapshot(1'700'000'000'000'000, "2026-11-22T01:00:00.0000000Z");
  EXPECT_TRUE(is_deleted_snapshot(base));
  EXPECT_TRUE(is_deleted_snapshot(snap));
  EXPECT_FALSE(is_deleted_snapshot(""));
  EXPECT_FALSE(is_deleted_snapshot("2026-11-22T01:00:00.0000000Z"));
  EXPECT_EQ(original_snapshot(base), "");
  EXPECT_EQ(original_snapshot(snap), "2026-11-22T01:00:00.0000000Z");
  EXPECT_NE(base, snap);
  // The store orders a name's rows by key: snapshots, then the base ("~"), then deleted ones.
  EXPECT_LT(std::string("2026-11-22T01:00:00.0000000Z"), std::string("~"));
  EXPECT_LT(std::string("~"), base);
  EXPECT_LT(base, deleted_snapshot(1'700'000'000'000'001, ""));  // later deletions sort later
}

}  // namespace
}  // namespace kiln::blob
