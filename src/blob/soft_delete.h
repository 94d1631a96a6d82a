// Blob soft delete (the service's DeleteRetentionPolicy): a deleted blob or
// snapshot keeps its row, bytes and files under a snapshot key of its own,
// "~d<deletion time>|<original key>", which no read, listing or snapshot
// lookup matches, until Undelete Blob restores it or its retention days pass
// (the service's sweep then removes it for good).
#pragma once

#include <cstdint>
#include <string>

#include "blob/metadata_store.h"

namespace kiln::blob {

bool is_deleted_snapshot(const std::string& snapshot);
// The snapshot key a blob (snapshot "" for the base blob) is kept under once deleted.
std::string deleted_snapshot(int64_t deleted_us, const std::string& snapshot);
// What a deleted key was: "" for a base blob, else the snapshot's time.
std::string original_snapshot(const std::string& deleted);

// RemainingRetentionDays of something deleted at `deleted_us` and kept `days`: whole days, at least 1.
int64_t remaining_retention_days(int64_t deleted_us, int64_t days, int64_t now_us);

// The account's DeleteRetentionPolicy days, 0 when it is disabled.
int64_t delete_retention_days(MetadataReader& r, const std::string& account);

// Before an overwrite (Put Blob, Put Block List, Copy Blob) replaces `old`, a
// base blob: under a retention policy it is kept as a soft-deleted snapshot
// taken now, which Undelete Blob brings back as a snapshot. Returns whether it
// was kept (its files must then stay).
bool keep_overwritten(MetadataWriter& w, const BlobRecord& old, int64_t now_us);

}  // namespace kiln::blob
