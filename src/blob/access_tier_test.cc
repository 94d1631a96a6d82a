#include "blob/access_tier.h"

#include <gtest/gtest.h>

#include "blob/errors.h"

namespace kiln::blob {
namespace {

constexpr int64_t kNow = 1'000'000'000;

BlobRecord archived_blob() {
  BlobRecord b;
  EXPECT_EQ(change_tier(b, "Archive", "Standard", kNow), 200);
  return b;
}

TEST(AccessTier, ReadsTiersInAnyCaseAndRefusesOthers) {
  http::Headers h;
  EXPECT_EQ(read_access_tier(h, "x-ms-access-tier"), "");
  h.set("x-ms-access-tier", "aRcHiVe");
  EXPECT_EQ(read_access_tier(h, "x-ms-access-tier"), "Archive");
  h.set("x-ms-access-tier", "P10");
  EXPECT_THROW(read_access_tier(h, "x-ms-access-tier"), AzureError);
  EXPECT_EQ(read_rehydrate_priority(h), "Standard");
  h.set("x-ms-rehydrate-priority", "high");
  EXPECT_EQ(read_rehydrate_priority(h), "High");
  h.set("x-ms-rehydrate-priority", "Urgent");
  EXPECT_THROW(read_rehydrate_priority(h), AzureError);
}

TEST(AccessTier, ABlobWithoutATierReadsAsInferredHot) {
  TierView v = tier_view(BlobRecord{}, kNow);
  EXPECT_EQ(v.tier, "Hot");
  EXPECT_TRUE(v.inferred);
  EXPECT_EQ(v.changed_us, 0);
  EXPECT_FALSE(is_archived(BlobRecord{}, kNow));
}

TEST(AccessTier, OnlineChangesAnswer200AndRecordTheirTime) {
  BlobRecord b;
  EXPECT_EQ(change_tier(b, "Cool", "Standard", kNow), 200);
  TierView v = tier_view(b, kNow);
  EXPECT_EQ(v.tier, "Cool");
  EXPECT_FALSE(v.inferred);
  EXPECT_EQ(v.changed_us, kNow);
  EXPECT_EQ(change_tier(b, "Cool", "Standard", kNow + 5), 200);
  EXPECT_EQ(tier_view(b, kNow + 5).changed_us, kNow) << "setting the same tier changes nothing";
}

TEST(AccessTier, AnArchivedBlobIsOfflineUntilItsRehydrationIsDone) {
  BlobRecord b = archived_blob();
  EXPECT_TRUE(is_archived(b, kNow));
  EXPECT_THROW(require_online(b, kNow), AzureError);
  EXPECT_EQ(change_tier(b, "Cool", "Standard", kNow + 10), 202);
  TierView pending = tier_view(b, kNow + 10);
  EXPECT_EQ(pending.tier, "Archive");
  EXPECT_EQ(pending.archive_status, "rehydrate-pending-to-cool");
  EXPECT_EQ(pending.rehydrate_priority, "Standard");
  EXPECT_TRUE(is_archived(b, kNow + 10 + kRehydrateStandardMicros - 1));
  int64_t done = kNow + 10 + kRehydrateStandardMicros;
  EXPECT_FALSE(is_archived(b, done));
  EXPECT_NO_THROW(require_online(b, done));
  TierView after = tier_view(b, done);
  EXPECT_EQ(after.tier, "Cool");
  EXPECT_EQ(after.archive_status, "");
  EXPECT_EQ(after.changed_us, done);
}

TEST(AccessTier, APendingRehydrationTakesNoOtherChangeButMaySpeedUp) {
  BlobRecord b = archived_blob();
  ASSERT_EQ(change_tier(b, "Hot", "Standard", kNow), 202);
  EXPECT_THROW(change_tier(b, "Cool", "Standard", kNow + 1), AzureError);
  EXPECT_THROW(change_tier(b, "Archive", "Standard", kNow + 1), AzureError);
  EXPECT_EQ(change_tier(b, "Hot", "High", kNow + 1), 202);
  EXPECT_EQ(tier_view(b, kNow + 1).rehydrate_priority, "High");
  EXPECT_FALSE(is_archived(b, kNow + 1 + kRehydrateHighMicros));
  // Once done, the blob takes changes again, with no trace of the rehydration.
  EXPECT_EQ(change_tier(b, "Archive", "Standard", kNow + 1 + kRehydrateHighMicros), 200);
  EXPECT_TRUE(b.rehydrate_tier.empty());
  EXPECT_TRUE(is_archived(b, kNow + 10 * kRehydrateStandardMicros));
}

}  // namespace
}  // namespace kiln::blob
