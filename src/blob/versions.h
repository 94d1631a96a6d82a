// Blob versioning (`kiln serve --blob-versioning`; on Azure the account's
// IsVersioningEnabled, set through the management plane). A write that makes a
// new current version of a blob (Put Blob, Put Block List, Copy Blob, Put Blob
// From URL, Set Blob Metadata) keeps the version it replaces, and Delete Blob
// keeps the deleted one, as a previous version: a row of its own under the
// snapshot key "v<version id>" (after snapshots' ISO times, before the current
// version's "~"), with its bytes. A version id is the time of the write that
// made the version (ISO 8601, 7 digits, as snapshots). Previous versions are
// read, tiered, tagged, copied from and deleted by ?versionid=; none is ever
// written otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "blob/blob_files.h"
#include "blob/metadata_store.h"
#include "blob/request_context.h"

namespace kiln::blob {

bool is_version_key(const std::string& snapshot);
std::string version_key(const std::string& version_id);
// The version id a key holds, "" for any other key.
std::string version_of_key(const std::string& key);

// The id the current version `b` is known by: its own, or for a blob written
// while versioning was off, its Last-Modified time.
std::string version_id_of(const BlobRecord& b);
// The id of a current version written at `now_us` that replaces `old`: later than old's.
std::string next_version_id(const std::optional<BlobRecord>& old, int64_t now_us);

// Keeps the current version `current` of a blob whole (bytes, block list) as a
// previous version. With `files`, the previous version gets links of its own
// to the bytes (the current version goes on using its files); their names are
// appended to `linked`. Without, it takes the files over.
void keep_as_previous_version(MetadataWriter& w, const BlobRecord& current, BlobFiles* files = nullptr,
                              std::vector<std::string>* linked = nullptr);

// Before a write replaces the current version `old` (Put Blob, Put Block List,
// Copy Blob): kept as a previous version when versioning is on, else as a
// soft-deleted snapshot under a delete retention policy (soft_delete.h).
// Returns whether it was kept (its files must then stay).
bool keep_replaced(MetadataWriter& w, bool versioning, const BlobRecord& old, int64_t now_us);

// For every request, once its operation is known: ?snapshot= and ?versionid=
// are times (Kiln's own keys, "~…" and "v…", cannot be named), not both at once,
// and ?versionid= only where Azure takes it. InvalidQueryParameterValue otherwise.
void check_snapshot_and_version(const RequestContext& ctx);

// The blob version ?versionid= names: a previous version, or the current one
// when it has that id.
std::optional<BlobRecord> get_version(MetadataReader& r, const RequestContext& ctx, bool with_blocks);

}  // namespace kiln::blob
