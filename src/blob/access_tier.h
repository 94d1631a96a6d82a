// Access tiers of block blobs: Hot, Cool and Cold (online) and Archive
// (offline: properties, metadata and tags stay readable, the bytes do not),
// and rehydration from Archive back online.
//
// Kiln stores every tier alike; the tier is recorded, reported and enforced.
// A rehydration that Azure finishes in hours finishes here after
// kRehydrateStandard / kRehydrateHigh. Nothing runs when it finishes: a blob
// whose rehydration time has passed reads as online in the tier it asked for
// (tier_view), so no background work and no write is needed. Pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "blob/records.h"
#include "core/http_types.h"

namespace kiln::blob {

inline constexpr int64_t kRehydrateStandardMicros = 5'000'000;
inline constexpr int64_t kRehydrateHighMicros = 1'000'000;

// `header`'s tier (Hot, Cool, Cold, Archive, any case), "" when not sent.
// Throws InvalidHeaderValue for anything else.
std::string read_access_tier(const http::Headers& h, const char* header);
// x-ms-rehydrate-priority: Standard (the default, also when not sent) or High.
std::string read_rehydrate_priority(const http::Headers& h);

// How a blob's tier reads at `now_us`.
struct TierView {
  std::string tier;            // Hot when none was set (inferred)
  bool inferred = false;
  std::string archive_status;  // "rehydrate-pending-to-<tier>" while rehydrating
  std::string rehydrate_priority;
  int64_t changed_us = 0;      // when Set Blob Tier last changed it (0: never)
};
TierView tier_view(const BlobRecord& b, int64_t now_us);

// Offline at `now_us`: archived, and not yet rehydrated.
bool is_archived(const BlobRecord& b, int64_t now_us);
// Throws BlobArchived when `b` is offline: reads of its bytes and changes to
// its properties, metadata or snapshots are refused.
void require_online(const BlobRecord& b, int64_t now_us);

// Set Blob Tier's change of `b` (a block blob) to `tier`, requested at `now_us`.
// Returns the status Azure answers with: 202 when it starts a rehydration, 200
// otherwise. Throws BlobBeingRehydrated for another change while one is pending.
int change_tier(BlobRecord& b, const std::string& tier, const std::string& priority, int64_t now_us);

}  // namespace kiln::blob
