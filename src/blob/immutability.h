// Version-level immutability (`kiln serve --blob-immutability`, which turns
// versioning on too; on Azure, version-level WORM support of the account or
// container). Any blob version may carry a time-based retention policy (until
// when; "unlocked", or "locked": then only extended, never removed) and a legal
// hold. Azure's rules, per version:
//   - a legal hold or an unexpired policy: the version cannot be deleted;
//   - any policy, expired or not, or a legal hold: its metadata and pages are
//     never written (Set Blob Metadata, Put Page);
//   - overwrites (Put Blob, Put Block List, Copy Blob) are allowed: they keep
//     the version, with its policy and hold, as a previous version, and the new
//     current version has none unless the write sets them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "blob/records.h"
#include "core/http_types.h"

namespace kiln::blob {

struct ImmutabilitySettings {
  std::optional<int64_t> until_us;  // x-ms-immutability-policy-until-date
  std::string mode;                 // "unlocked" or "locked" (with until_us)
  std::optional<bool> legal_hold;   // x-ms-legal-hold
  bool any() const { return until_us || legal_hold; }
};

// The policy and hold headers of a write (Put Blob, Put Block List, Copy Blob,
// Put Blob From URL, or Set Blob Immutability Policy / Legal Hold):
// InvalidHeaderValue for a date that is not RFC 1123 or not in the future, a
// mode other than Unlocked / Locked, a hold other than true / false.
ImmutabilitySettings read_immutability_headers(const http::Headers& h, int64_t now_us);

// A new version written with `s` (for every write: an overwrite's new version starts without any).
void start_immutability(BlobRecord& b, const ImmutabilitySettings& s);

// Set Blob Immutability Policy on a version: a locked policy may only be
// extended and stays locked (InvalidHeaderValue otherwise).
void set_immutability_policy(BlobRecord& b, int64_t until_us, const std::string& mode);
// Delete Blob Immutability Policy: ImmutabilityPolicyDeleteOnLockedPolicy for a locked one.
void delete_immutability_policy(BlobRecord& b);

// Throws BlobImmutableDueToLegalHold / BlobImmutableDueToPolicy when `b` may
// not be deleted at `now_us`, or (require_unprotected) have its metadata or pages written.
void require_deletable(const BlobRecord& b, int64_t now_us);
void require_unprotected(const BlobRecord& b);

// x-ms-immutability-policy-until-date / -mode and x-ms-legal-hold of a version that has them.
void add_immutability_headers(const BlobRecord& b, http::Headers& h);

}  // namespace kiln::blob
