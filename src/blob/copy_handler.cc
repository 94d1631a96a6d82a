// Copy Blob within this service (including from a SAS URL of this service),
// done synchronously: the response already reports x-ms-copy-status: success.
#include "blob/auth.h"
#include "blob/conditions.h"
#include "blob/handlers.h"
#include "blob/lease.h"
#include "blob/response_util.h"
#include "blob/tags.h"
#include "core/crypto.h"
#include "core/url.h"

namespace kiln::blob {
namespace {

struct Source {
  std::string account, container, blob, snapshot;
  std::vector<std::pair<std::string, std::string>> query;
};

std::string lower(std::string s) {
  for (char& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// Parses the copy source URL; only URLs addressing this service are accepted.
Source parse_source(const Call& c, const std::string& source_url) {
  auto u = url::parse(source_url);
  if (!u) throw err::invalid_header_value("x-ms-copy-source", source_url);
  auto path = url::decode(u->path);
  auto query = url::parse_query(u->query);
  if (!path || !query) throw err::invalid_header_value("x-ms-copy-source", source_url);
  http::Request fake;
  fake.path = *path;
  fake.query = *query;
  std::string host = lower(u->host);
  fake.headers.set("host", host);
  RequestContext sctx;
  if (!parse_location(fake, sctx) || sctx.container.empty() || sctx.blob.empty())
    throw err::invalid_header_value("x-ms-copy-source", source_url);
  std::string own_host = lower(c.req.headers.get("host"));
  size_t colon = own_host.rfind(':');
  if (colon != std::string::npos) own_host = own_host.substr(0, colon);
  bool local = host == own_host || host == "127.0.0.1" || host == "localhost" || host == "::1" ||
               host.find(".blob.localhost") != std::string::npos || host.find(".blob.core.localhost") != std::string::npos;
  if (!local || !c.be.accounts.find(sctx.account)) {
    throw err::cannot_verify_copy_source(404, "Kiln copies only from blobs of this service: " + source_url);
  }
  return {sctx.account, sctx.container, sctx.blob, sctx.snapshot, *query};
}

// Resolves, authorizes and loads the blob named by x-ms-copy-source, and checks
// the x-ms-source-* conditions against it.
BlobRecord load_copy_source(Call& c, const std::string& source_url) {
  Source src = parse_source(c, source_url);
  const Account* src_account = c.be.accounts.find(src.account);
  // Shared Key of the same account reads the source; otherwise a SAS or public access must.
  bool same_account_key = c.req.headers.has("authorization") && src.account == c.ctx.account;
  if (!same_account_key) {
    authorize_sas_read(src.query, *src_account, src.container, src.blob, src.snapshot, c.req.remote_address,
                       c.req.secure, c.ctx.now_us, [&] {
                         std::optional<ContainerRecord> rec;
                         c.be.store.read([&](MetadataReader& r) { rec = r.get_container(src.account, src.container); });
                         return rec;
                       });
  }
  BlobRecord source;
  c.be.store.read([&](MetadataReader& r) {
    if (!r.get_container(src.account, src.container)) throw err::container_not_found();
    auto b = r.get_blob(src.account, src.container, src.blob, src.snapshot, true);
    if (!b) throw err::blob_not_found();
    source = std::move(*b);
  });
  Conditions src_cond = parse_conditions(c.req.headers, "x-ms-source-");
  if (evaluate(src_cond, true, source.etag, source.last_modified_us, false) != ConditionResult::kPass)
    throw err::source_condition_not_met();
  return source;
}

}  // namespace

void copy_blob(Call& c) {
  if (!c.ctx.snapshot.empty()) throw err::invalid_query_parameter_value("snapshot", c.ctx.snapshot);
  std::string source_url = c.req.headers.get("x-ms-copy-source");
  Conditions dst_cond = parse_conditions(c.req.headers);
  Metadata meta = read_metadata(c.req.headers);
  bool meta_sent = false;
  for (const auto& [k, v] : c.req.headers.all())
    if (lower(k).rfind("x-ms-meta-", 0) == 0) meta_sent = true;
  BlobTags tags = request_tags(c.req.headers);
  BlobRecord source = load_copy_source(c, source_url);
  std::string file;
  if (!source.file.empty()) {
    file = source.blob_type == "BlockBlob" ? c.be.files.link(source.file) : c.be.files.copy(source.file, uint64_t(source.size));
  }
  BlobRecord out;
  try {
    c.be.store.write([&](MetadataWriter& w) {
      require_container(w, c.ctx);
      auto old = w.get_blob(c.ctx.account, c.ctx.container, c.ctx.blob, "");
      if (dst_cond.if_none_match && *dst_cond.if_none_match == "*" && old) throw err::blob_already_exists();
      check_conditions(dst_cond, bool(old), old ? old->etag : "", old ? old->last_modified_us : 0, false);
      BlobRecord b = source;
      b.snapshot.clear();
      b.file = file;
      b.lease = LeaseRecord{};
      make_next_version(b, old, c);
      if (meta_sent) b.metadata = meta;
      b.tags = tags;  // the source's tags are not copied
      b.copy_id = crypto::uuid4();
      b.copy_source = source_url;
      b.copy_status = "success";
      b.copy_progress = std::to_string(source.size) + "/" + std::to_string(source.size);
      b.copy_completion_us = c.ctx.now_us;
      w.put_blob(b);
      std::vector<std::string> doomed;
      if (old && !old->file.empty()) doomed.push_back(old->file);
      remove_files_after_commit(w, c.be, std::move(doomed));
      if (!file.empty()) w.sync_dir_before_commit(c.be.files.dir());
      out = std::move(b);
    });
  } catch (...) {
    if (may_discard_files()) c.be.files.remove(file);
    throw;
  }
  c.res.status = 202;
  c.res.headers.set("ETag", out.etag);
  c.res.headers.set("Last-Modified", http_date(out.last_modified_us));
  c.res.headers.set("x-ms-copy-id", out.copy_id);
  c.res.headers.set("x-ms-copy-status", "success");
}

namespace {

// x-ms-source-range of a From-URL operation over a source of `size` bytes:
// {start, length}, the whole source when absent.
std::pair<uint64_t, uint64_t> source_range(const Call& c, uint64_t size) {
  uint64_t start = 0, length = size;
  std::string range = c.req.headers.get("x-ms-source-range");
  if (!range.empty()) {
    size_t dash = range.find('-');
    if (range.rfind("bytes=", 0) != 0 || dash == std::string::npos) throw err::invalid_header_value("x-ms-source-range", range);
    try {
      start = std::stoull(range.substr(6, dash - 6));
      uint64_t end = std::stoull(range.substr(dash + 1));
      if (end < start) throw err::invalid_header_value("x-ms-source-range", range);
      length = end - start + 1;
    } catch (const std::logic_error&) {
      throw err::invalid_header_value("x-ms-source-range", range);
    }
  }
  if (start >= size || start + length > size) throw err::invalid_range();
  return {start, length};
}

// The MD5 (base64) the client expects of the source range
// (x-ms-source-content-md5): nullptr when not sent, InvalidMd5 when malformed.
const std::string* expected_source_md5(const Call& c) {
  const std::string* sent = c.req.headers.find("x-ms-source-content-md5");
  if (sent) {
    auto raw = crypto::base64_decode(*sent);
    if (!raw || raw->size() != 16) throw err::invalid_md5();
  }
  return sent;
}

// `actual` (raw MD5 of the bytes read) in base64, or Md5Mismatch.
std::string check_source_md5(const std::string& expected, const std::string& actual) {
  std::string md5 = crypto::base64_encode(actual);
  if (md5 != expected) throw err::md5_mismatch(expected, md5);
  return md5;
}

// The bytes of a source range, where they already are: the source's file
// ranges or its inline bytes. A committed range never changes (an overwrite
// gets a new file), so they are read in place.
AppendBytes source_bytes(const BlobRecord& source, uint64_t start, uint64_t length) {
  AppendBytes bytes{length, {}, {}};
  if (source.file.empty()) bytes.memory = std::string_view(source.inline_data).substr(size_t(start), size_t(length));
  else bytes.pieces = BlobFiles::locate(source.file, start, length);
  return bytes;
}

// The MD5 (raw) of `bytes`, read a bounded buffer at a time.
std::string md5_of(Call& c, const AppendBytes& bytes) {
  return bytes.pieces.empty() ? crypto::md5(bytes.memory) : c.be.files.md5(bytes.pieces);
}

}  // namespace

void put_block_from_url(Call& c) {
  std::string source_url = c.req.headers.get("x-ms-copy-source");
  BlobRecord source = load_copy_source(c, source_url);
  auto [start, length] = source_range(c, uint64_t(source.size));
  if (length > kMaxBlockBytes) throw err::invalid_header_value("x-ms-source-range", c.req.headers.get("x-ms-source-range"));
  std::string id = require_block_id(c);
  AppendBytes bytes = source_bytes(source, start, length);
  std::string md5;
  if (const std::string* expected = expected_source_md5(c)) md5 = check_source_md5(*expected, md5_of(c, bytes));
  // A block owns its file: the range is copied file to file (memory stays flat).
  std::string file = bytes.pieces.empty() ? c.be.files.create(bytes.memory) : c.be.files.concat(bytes.pieces);
  stage_block(c, id, file, length);
  if (!md5.empty()) c.res.headers.set("Content-MD5", md5);
}

void append_block_from_url(Call& c) {
  if (!c.ctx.snapshot.empty()) throw err::invalid_query_parameter_value("snapshot", c.ctx.snapshot);
  std::string source_url = c.req.headers.get("x-ms-copy-source");
  BlobRecord source = load_copy_source(c, source_url);
  auto [start, length] = source_range(c, uint64_t(source.size));
  if (length > max_append_block_bytes(c.req.headers)) throw err::request_body_too_large();
  // Appended straight from the source: no private copy first.
  AppendBytes bytes = source_bytes(source, start, length);
  std::string md5;
  if (const std::string* expected = expected_source_md5(c)) md5 = check_source_md5(*expected, md5_of(c, bytes));
  append_bytes(c, bytes, md5);
}

void abort_copy_blob(Call& c) {
  BlobRecord b;
  c.be.store.read([&](MetadataReader& r) { b = require_blob(r, c.ctx); });
  throw AzureError(409, "NoPendingCopyOperation", "There is currently no pending copy operation.");
}

}  // namespace kiln::blob
