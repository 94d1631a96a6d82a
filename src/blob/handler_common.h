// What every resource handler gets (the Call) and the lookups and body checks
// they share. Handlers throw AzureError for expected failures.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "blob/blob_files.h"
#include "blob/errors.h"
#include "blob/metadata_store.h"
#include "blob/records.h"
#include "blob/request_context.h"
#include "core/http_types.h"

namespace kiln::blob {

// Blobs up to this size are kept inside the metadata store (no file, no extra fsync).
inline constexpr size_t kInlineLimit = 64 * 1024;
// Azure's limits (Put Blob's 5000 MiB is the HTTP layer's limit for spooled bodies).
inline constexpr uint64_t kMaxBlockBytes = 4000ull << 20;
// Append Block's limit: 4 MiB, 100 MiB from x-ms-version 2022-11-02 on.
uint64_t max_append_block_bytes(const http::Headers& request_headers);
inline constexpr size_t kMaxCommittedBlocks = 50000;
inline constexpr size_t kMaxUncommittedBlocks = 100000;

struct Backend {
  MetadataStore& store;
  BlobFiles& files;
  const AccountRegistry& accounts;
  int container_soft_delete_days = 0;  // kiln serve --container-soft-delete-days
  bool versioning = false;             // kiln serve --blob-versioning (versions.h)
  bool immutability = false;           // kiln serve --blob-immutability (immutability.h)
};

struct Call {
  http::Request& req;
  RequestContext& ctx;
  http::Response& res;
  Backend& be;
  // The server may finish this call's response later, on a store thread
  // (commit_then_respond); false once it is being finished that way.
  bool may_defer = false;
};

// Everything after an operation, for every response: the operation's error
// (if any) turned into Azure's, CORS and common headers (blob_service.cc).
void finish_call(Call& c, std::exception_ptr error);

// Commits `commit` and then fills the answer with `respond`. Where the call
// may be deferred, no thread waits for the commit: the request moves to the
// heap, the store runs both once its batch is durable, and the answer goes
// out from there (http::Response::defer). Otherwise both run here.
using Commit = std::function<void(MetadataWriter&, Call&)>;
void commit_then_respond(Call& c, Commit commit, std::function<void(Call&)> respond);

// The addressed container, or ContainerNotFound.
ContainerRecord require_container(MetadataReader& r, const RequestContext& ctx);
// The addressed blob (or its ?snapshot=, or the version ?versionid= names), or
// BlobNotFound; checks the container first.
BlobRecord require_blob(MetadataReader& r, const RequestContext& ctx, bool with_blocks = false);
// The addressed blob for an operation that reads it: If-* conditions (a failed
// If-Modified-Since / If-None-Match is 304 when `not_modified_304`, else 412),
// x-ms-if-tags, and the lease of a base blob (x-ms-lease-id, when sent, must match).
BlobRecord read_blob_checked(Call& c, bool not_modified_304);

// A blob read for its bytes: its record and open descriptors (by file name) of
// the files holding the bytes `bytes` picks, {start, length}. Open descriptors
// keep a version readable after a writer replaces it; a writer may replace it
// between `read` and the opens, so both are retried (InternalError after three tries).
struct OpenBlob {
  BlobRecord record;
  std::map<std::string, std::shared_ptr<int>> fds;
};
OpenBlob read_and_open_blob(Call& c, const std::function<BlobRecord()>& read,
                            const std::function<std::pair<uint64_t, uint64_t>(const BlobRecord&)>& bytes);

// Verifies Content-MD5 and x-ms-content-crc64 of the body when sent; returns the
// body's MD5 (base64), or "" when always_md5 is false and no Content-MD5 was sent
// (hashing a large block costs more than writing it). Sets x-ms-content-crc64 on
// the response when it was sent.
std::string verify_body(const http::Request& req, http::Response& res, bool always_md5 = true);

// For a catch block after a failed store write: false when the write's commit
// may still survive (NotDurable), so the data files it references must stay.
bool may_discard_files();

// The request body's size, whether it is in memory or was spooled to a file.
uint64_t body_size(const http::Request& req);
// The body as a new durable data file: the spooled one (spooled_body.h), or a
// new file written from memory. The caller owns the file.
std::string take_body_file(Call& c);

// The bytes a write adds (Append Block, Put Page and their From-URL forms):
// ranges of existing files (a spooled body, a copy source) when `pieces` is
// not empty, else bytes in memory.
struct WriteBytes {
  uint64_t size = 0;
  std::vector<BlobFiles::Piece> pieces;
  std::string_view memory;
  WriteBytes slice(uint64_t offset, uint64_t length) const;  // bytes [offset, offset + length)
};
// The request body as WriteBytes: its spooled file, or the bytes in memory.
WriteBytes body_bytes(const http::Request& req);

// Serializes the writes to one part of a blob (`part`: appends use 0, page
// writes the chunk) that read, modify and write its bytes: they would
// otherwise redo their work after each other's commits. Different blobs and
// parts rarely share a lock. Locks of several parts of a call must be taken
// in one lock_blob_parts call (it orders them).
std::unique_lock<std::mutex> lock_blob_bytes(const RequestContext& ctx, uint64_t part = 0);
std::vector<std::unique_lock<std::mutex>> lock_blob_parts(const RequestContext& ctx, std::vector<uint64_t> parts);

// Parses a non-negative integer header; InvalidHeaderValue otherwise.
std::optional<int64_t> int_header(const http::Headers& h, const std::string& name);

// Reads the blob's bytes [offset, offset+length) from inline data or its file.
std::string read_blob_bytes(const Backend& be, const BlobRecord& b, uint64_t offset, uint64_t length);

// Makes `b` the next current version of the blob the call addresses: its name from
// the request; lease and creation time carried over from `old` (whose lease the
// request must hold, LeaseIdMissing / LeaseIdMismatchWithBlobOperation otherwise);
// a new ETag and Last-Modified; a new version id when versioning is on; the
// immutability policy and legal hold the request sets (none otherwise), and
// the customer-provided key it is written with (customer_key.h). Other fields are the caller's.
void make_next_version(BlobRecord& b, const std::optional<BlobRecord>& old, const Call& c);

// Commits `commit` for a version whose data files (`created`) were written
// before it, outside the store: they are removed when the commit fails (unless
// it may still survive: NotDurable) and when `commit` returns false, which
// means it found the state they were built from changed (the caller builds
// again). Returns whether it committed.
bool commit_built_files(Call& c, const std::vector<std::string>& created,
                        const std::function<bool(MetadataWriter&)>& commit);

// Staged files are unlinked only after the metadata that dropped them commits.
void remove_files_after_commit(MetadataWriter& w, const Backend& be, std::vector<std::string> files);

}  // namespace kiln::blob
