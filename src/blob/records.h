// The Blob service's persistent entities as plain values. The metadata store
// (metadata_store.h) saves and loads them; handlers read and modify them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/http_types.h"

namespace kiln::blob {

// User metadata (x-ms-meta-*): names compare case-insensitively as Azure does,
// the case they were first sent with is kept.
using Metadata = std::map<std::string, std::string, http::CaseInsensitiveLess>;
// Blob index tags: keys and values are case-sensitive (unlike metadata names).
using BlobTags = std::map<std::string, std::string>;

// Lease fields as stored; lease.h computes the effective state at a given time.
struct LeaseRecord {
  std::string state = "available";  // available | leased | breaking | broken | expired (derived)
  std::string id;
  int64_t duration = 0;        // seconds; -1 infinite
  int64_t expires_us = 0;      // leased with finite duration: end; breaking: break end
};

struct AccessPolicy {
  std::string id;
  std::string start;       // as sent (ISO 8601), may be empty
  std::string expiry;
  std::string permission;
};

struct ContainerRecord {
  std::string account;
  std::string name;
  Metadata metadata;
  std::string etag;
  int64_t last_modified_us = 0;
  int64_t created_us = 0;
  std::string public_access;  // "", "blob" or "container"
  std::vector<AccessPolicy> policies;
  LeaseRecord lease;
  // A soft-deleted container (container_soft_delete.h): when, for how many days
  // it is kept, and the version Restore Container names it by.
  int64_t deleted_us = 0;
  int64_t retention_days = 0;
  std::string version;
};

struct BlobProperties {
  std::string content_type;
  std::string content_encoding;
  std::string content_language;
  std::string content_md5;  // base64; empty when not stored
  std::string cache_control;
  std::string content_disposition;
};

struct BlockRef {
  std::string id;  // base64 as sent
  int64_t size = 0;
};

struct BlobRecord {
  std::string account;
  std::string container;
  std::string name;
  std::string snapshot;  // "" for the base blob, else the snapshot time (ISO 8601, 7 digits)
  std::string blob_type = "BlockBlob";  // BlockBlob | AppendBlob | PageBlob
  int64_t size = 0;
  std::string file;  // data file name under the store's blob directory; "" when inline or empty
  // Small blobs live in the metadata store itself (no data file, no extra fsync).
  // Loaded by get_blob only, never by listings.
  std::string inline_data;
  std::string etag;
  int64_t last_modified_us = 0;
  int64_t created_us = 0;
  BlobProperties props;
  Metadata metadata;
  LeaseRecord lease;
  std::vector<BlockRef> committed_blocks;  // block blobs committed with a block list
  int64_t append_count = 0;                // committed append blocks
  bool sealed = false;                     // an append blob that takes no more blocks (Seal)
  // Page blobs (page_layout.h): `file` is their chunk layout; these are the
  // written pages (format_pages) and x-ms-blob-sequence-number.
  std::string page_ranges;
  int64_t sequence_number = 0;
  // Incremental Copy Blob's destination (a page blob that takes no writes but
  // further incremental copies): the source snapshot it last copied, and the
  // snapshot of itself that copy made.
  bool incremental_copy = false;
  std::string incremental_source_snapshot;
  std::string copy_destination_snapshot;
  // Soft-deleted (soft_delete.h): when, and for how many days it is kept.
  int64_t deleted_us = 0;
  int64_t retention_days = 0;
  std::string access_tier;                 // block blobs: "" (inferred Hot), Hot, Cool, Cold or Archive
  int64_t tier_changed_us = 0;             // when Set Blob Tier last changed it
  // A rehydration from Archive (access_tier.h): the tier it goes to, its
  // priority (Standard or High) and when it is done; empty / 0 when none.
  std::string rehydrate_tier, rehydrate_priority;
  int64_t rehydrate_done_us = 0;
  BlobTags tags;                           // blob index tags (Set Blob Tags, x-ms-tags)
  // Blob versioning (versions.h): the id of this version, "" for a blob
  // written while versioning was off (and for snapshots).
  std::string version_id;
  // Version-level immutability (immutability.h): a time-based retention
  // policy (until when, "unlocked" or "locked"; 0 / "" when none) and a legal hold.
  int64_t immutable_until_us = 0;
  std::string immutability_mode;
  bool legal_hold = false;
  // The SHA-256 (base64) of the customer-provided key it was written with (customer_key.h), "" when none.
  std::string customer_key_sha256;
  // Copy state (copies are synchronous, so status is "success" once visible).
  std::string copy_id, copy_source, copy_status, copy_progress;
  int64_t copy_completion_us = 0;
};

// A staged (uncommitted) block.
struct BlockRecord {
  std::string id;
  int64_t size = 0;
  std::string file;
  int64_t created_us = 0;
  std::string customer_key_sha256;  // of the key it was staged with (customer_key.h), "" when none
};

struct ListBlobsQuery {
  std::string prefix;
  std::string start_after;  // marker: blob name (and snapshot) to resume after
  std::string start_after_snapshot;
  bool include_snapshots = false;
  bool include_deleted = false;  // soft-deleted blobs and snapshots (soft_delete.h)
  bool include_versions = false; // previous versions (versions.h)
  size_t limit = 5000;
};

}  // namespace kiln::blob
