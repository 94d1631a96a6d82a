#include "blob/versions.h"

#include <gtest/gtest.h>

#include "blob/error_code_testing.h"

namespace kiln::blob {
namespace {

// 2026-11-22T07:38:14.0000000Z in microseconds since the epoch.
constexpr int64_t kNow = 1'795'333'094'000'000;

TEST(Versions, KeysSortBetweenSnapshotsAndTheBaseBlob) {
  std::string key = version_key("2026-11-22T07:38:14.0000000Z");
  EXPECT_TRUE(is_version_key(key));
  EXPECT_EQ(version_of_key(key), "2026-11-22T07:38:14.0000000Z");
  EXPECT_EQ(version_of_key("2026-11-22T07:38:14.0000000Z"), "");  // a snapshot
  EXPECT_FALSE(is_version_key(""));
  EXPECT_LT(std::string("2026-11-22T07:38:14.0000000Z"), key);  // after snapshots
  EXPECT_LT(key, std::string("~"));                             // before the base blob
}

TEST(Versions, NewIdsAreTheWriteTimeAndAlwaysLaterThanTheReplacedOne) {
  EXPECT_EQ(next_version_id(std::nullopt, kNow), "2026-11-22T07:38:14.0000000Z");
  BlobRecord old;
  old.version_id = "2026-11-22T07:38:14.0000000Z";  // written in the same microsecond
  EXPECT_EQ(next_version_id(old, kNow), "2026-11-22T07:38:14.0000010Z");
  old.version_id = "2030-01-01T00:00:00.0000000Z";  // a clock set back
  EXPECT_EQ(next_version_id(old, kNow), "2030-01-01T00:00:00.0000010Z");
  // A blob from before versioning is known by its Last-Modified time.
  BlobRecord unversioned;
  unversioned.last_modified_us = kNow - 1;
  EXPECT_EQ(version_id_of(unversioned), "2026-11-22T07:38:13.9999990Z");
  EXPECT_EQ(next_version_id(unversioned, kNow), "2026-11-22T07:38:14.0000000Z");
}

TEST(Versions, SnapshotAndVersionParametersAreTimesAndVersionsOnlyWhereAzureTakesThem) {
  RequestContext ctx;
  ctx.op = Operation::kGetBlob;
  ctx.snapshot = "2026-11-22T07:38:14.0000000Z";
  EXPECT_EQ(error_code_of([&] { check_snapshot_and_version(ctx); }), "");
  for (const char* internal : {"~", "~d2026-11-22T07:38:14.0000000Z|", "v2026-11-22T07:38:14.0000000Z", "x"}) {
    ctx.snapshot = internal;
    EXPECT_EQ(error_code_of([&] { check_snapshot_and_version(ctx); }), "InvalidQueryParameterValue") << internal;
  }
  ctx.snapshot.clear();
  ctx.version_id = "2026-11-22T07:38:14.0000000Z";
  for (Operation op : {Operation::kGetBlob, Operation::kGetBlobProperties, Operation::kGetBlobMetadata,
                       Operation::kDeleteBlob, Operation::kGetBlobTags, Operation::kSetBlobTags, Operation::kSetBlobTier}) {
    ctx.op = op;
    EXPECT_EQ(error_code_of([&] { check_snapshot_and_version(ctx); }), "") << int(op);
  }
  for (Operation op : {Operation::kPutBlob, Operation::kSetBlobMetadata, Operation::kSnapshotBlob, Operation::kListBlobs}) {
    ctx.op = op;
    EXPECT_EQ(error_code_of([&] { check_snapshot_and_version(ctx); }), "InvalidQueryParameterValue") << int(op);
  }
  ctx.op = Operation::kGetBlob;
  ctx.snapshot = "2026-11-22T07:38:14.0000000Z";  // not both at once
  EXPECT_EQ(error_code_of([&] { check_snapshot_and_version(ctx); }), "InvalidQueryParameterValue");
  ctx.snapshot.clear();
  ctx.version_id = "yesterday";
  EXPECT_EQ(error_code_of([&] { check_snapshot_and_version(ctx); }), "InvalidQueryParameterValue");
}

}  // namespace
}  // namespace kiln::blob
