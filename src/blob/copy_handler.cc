// Copy Blob, Put Block From URL and Append Block From URL, done synchronously
// (the response already reports x-ms-copy-status: success): from blobs of this
// service (also by a SAS URL), or from any other http(s) URL (remote_source.h).
#include <string_view>

#include "blob/access_tier.h"
#include "blob/auth.h"
#include "blob/conditions.h"
#include "blob/customer_key.h"
#include "blob/handlers.h"
#include "blob/lease.h"
#include "blob/remote_source.h"
#include "blob/response_util.h"
#include "blob/tags.h"
#include "blob/versions.h"
#include "core/crypto.h"
#include "core/text.h"
#include "core/time_format.h"
#include "core/url.h"

namespace kiln::blob {
namespace {

struct Source {
  RequestContext at;  // account, container, blob, and the snapshot or version it names
  std::vector<std::pair<std::string, std::string>> query;
};

using text::lower;

// "acct.blob.core.windows.net" (or another Azure cloud's suffix) -> "acct". The
// az CLI names a copy source that way even when its connection string points
// elsewhere (`az storage blob copy start --source-container/--source-blob`); for
// an account of this Kiln that name means this service, as it would on Azure.
std::string account_from_cloud_host(const std::string& host) {
  for (std::string_view suffix : {".blob.core.windows.net", ".blob.core.chinacloudapi.cn", ".blob.core.usgovcloudapi.net"}) {
    if (host.size() > suffix.size() && host.ends_with(suffix)) return host.substr(0, host.size() - suffix.size());
  }
  return "";
}

// Parses the copy source URL: a blob of this service, or nullopt for a URL elsewhere.
std::optional<Source> parse_source(const Call& c, const std::string& source_url) {
  auto u = url::parse(source_url);
  if (!u) throw err::invalid_header_value("x-ms-copy-source", source_url);
  auto path = url::decode(u->path);
  auto query = url::parse_query(u->query);
  if (!path || !query) throw err::invalid_header_value("x-ms-copy-source", source_url);
  if (u->scheme != "http" && u->scheme != "https") throw err::invalid_header_value("x-ms-copy-source", source_url);
  http::Request fake;
  fake.path = *path;
  fake.query = *query;
  std::string host = lower(u->host);
  fake.headers.set("host", host);
  // This service: a loopback or *.blob.localhost name, or the one the client used, on our port.
  std::string own_host = lower(c.req.headers.get("host"));
  size_t colon = own_host.rfind(':');
  std::string own_port = colon != std::string::npos ? own_host.substr(colon + 1) : c.req.secure ? "443" : "80";
  if (colon != std::string::npos) own_host.resize(colon);
  bool loopback = host == own_host || host == "127.0.0.1" || host == "localhost" || host == "::1" ||
                  host.find(".blob.localhost") != std::string::npos || host.find(".blob.core.localhost") != std::string::npos;
  bool local = loopback && std::to_string(u->port) == own_port;
  if (std::string account = account_from_cloud_host(host); !local && c.be.accounts.find(account)) {
    fake.headers.set("host", account + ".blob.localhost");  // read as a host-style URL of this service
    local = true;
  }
  RequestContext sctx;
  if (!local || !parse_location(fake, sctx) || !c.be.accounts.find(sctx.account)) return std::nullopt;
  if (sctx.container.empty() || sctx.blob.empty()) throw err::invalid_header_value("x-ms-copy-source", source_url);
  sctx.op = Operation::kGetBlob;
  check_snapshot_and_version(sctx);
  return Source{std::move(sctx), *query};
}

// x-ms-source-range ("bytes=start-end"), if sent.
std::optional<RemoteRange> requested_source_range(const Call& c) {
  std::string range = c.req.headers.get("x-ms-source-range");
  if (range.empty()) return std::nullopt;
  size_t dash = range.find('-');
  if (range.rfind("bytes=", 0) != 0 || dash == std::string::npos) throw err::invalid_header_value("x-ms-source-range", range);
  try {
    uint64_t start = std::stoull(range.substr(6, dash - 6));
    uint64_t end = std::stoull(range.substr(dash + 1));
    if (end < start) throw err::invalid_header_value("x-ms-source-range", range);
    return RemoteRange{start, end - start + 1};
  } catch (const std::logic_error&) {
    throw err::invalid_header_value("x-ms-source-range", range);
  }
}

// A copy source: a blob of this service, or the bytes of a URL elsewhere,
// fetched into a data file this call owns until it takes it.
struct LoadedSource {
  BlobRecord record;  // for a remote source: the bytes fetched (the range asked for), as a block blob
  bool remote = false;
  std::string remote_md5;  // raw, of the bytes fetched
  BlobFiles* files = nullptr;
  LoadedSource() = default;
  LoadedSource(const LoadedSource&) = delete;
  ~LoadedSource() {
    if (remote && !record.file.empty()) files->remove(record.file);
  }
  std::string take_file() { return std::exchange(record.file, ""); }
};

// Resolves, authorizes and loads the blob named by x-ms-copy-source (or
// fetches a URL elsewhere: `range` of it, at most `max_bytes`), and checks the
// x-ms-source-* conditions against it. An archived source is BlobArchived
// unless `archived_ok` (Copy Blob, which rehydrates into its destination).
void load_copy_source(Call& c, const std::string& source_url, std::optional<RemoteRange> range, uint64_t max_bytes,
                      LoadedSource& out, bool archived_ok = false) {
  Conditions src_cond = parse_conditions(c.req.headers, "x-ms-source-");
  std::optional<Source> local = parse_source(c, source_url);
  if (!local) {
    RemoteCopy fetched = fetch_remote_source(c.be.files, source_url, c.req.headers, range, max_bytes);
    out.remote = true;
    out.files = &c.be.files;
    out.remote_md5 = fetched.md5;
    BlobRecord& r = out.record;
    r.file = fetched.file;
    r.size = int64_t(fetched.size);
    r.props = fetched.props;
    r.props.content_md5 = crypto::base64_encode(fetched.md5);
    r.etag = fetched.etag;
    r.last_modified_us = fetched.last_modified_us;
    if (evaluate(src_cond, true, r.etag, r.last_modified_us, false) != ConditionResult::kPass)
      throw err::source_condition_not_met();
    check_source_if_tags(c.req.headers, {});  // a source elsewhere has no tags
    return;
  }
  const RequestContext& src = local->at;
  const Account* src_account = c.be.accounts.find(src.account);
  // Shared Key of the same account reads the source; otherwise a SAS or public access must.
  bool same_account_key = c.req.headers.has("authorization") && src.account == c.ctx.account;
  if (!same_account_key) {
    authorize_sas_read(local->query, *src_account, src.container, src.blob, src.snapshot, src.version_id,
                       c.req.remote_address, c.req.secure, c.ctx.now_us, [&] {
                         std::optional<ContainerRecord> rec;
                         c.be.store.read([&](MetadataReader& r) { rec = r.get_container(src.account, src.container); });
                         return rec;
                       });
  }
  BlobRecord& source = out.record;
  c.be.store.read([&](MetadataReader& r) { source = require_blob(r, src, true); });
  if (evaluate(src_cond, true, source.etag, source.last_modified_us, false) != ConditionResult::kPass)
    throw err::source_condition_not_met();
  check_source_if_tags(c.req.headers, source.tags);
  require_customer_key(source.customer_key_sha256, c.req.headers, "x-ms-source-");
  if (!archived_ok) require_online(source, c.ctx.now_us);
}

}  // namespace

namespace {

// The source range of a From-URL operation: {start, length} within the loaded
// source (all of it when none was asked for, or when a remote source was
// fetched as just that range).
std::pair<uint64_t, uint64_t> source_range(const Call& c, const LoadedSource& source) {
  uint64_t size = uint64_t(source.record.size);
  auto range = requested_source_range(c);
  if (!range || source.remote) return {0, size};
  if (range->start >= size || range->start + range->length > size) throw err::invalid_range();
  return {range->start, range->length};
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
WriteBytes source_bytes(const BlobRecord& source, uint64_t start, uint64_t length) {
  WriteBytes bytes{length, {}, {}};
  if (source.file.empty()) bytes.memory = std::string_view(source.inline_data).substr(size_t(start), size_t(length));
  else bytes.pieces = BlobFiles::locate(source.file, start, length);
  return bytes;
}

// The MD5 (raw) of `bytes`, read a bounded buffer at a time.
std::string md5_of(Call& c, const WriteBytes& bytes) {
  return bytes.pieces.empty() ? crypto::md5(bytes.memory) : c.be.files.md5(bytes.pieces);
}

}  // namespace

void put_block_from_url(Call& c) {
  std::string source_url = c.req.headers.get("x-ms-copy-source");
  auto range = requested_source_range(c);
  if (range && range->length > kMaxBlockBytes) throw err::invalid_header_value("x-ms-source-range", c.req.headers.get("x-ms-source-range"));
  std::string id = require_block_id(c);
  const std::string* expected = expected_source_md5(c);
  LoadedSource source;
  load_copy_source(c, source_url, range, kMaxBlockBytes, source);
  auto [start, length] = source_range(c, source);
  if (length > kMaxBlockBytes) throw err::invalid_header_value("x-ms-source-range", c.req.headers.get("x-ms-source-range"));
  std::string md5, file;
  if (source.remote) {
    if (expected) md5 = check_source_md5(*expected, source.remote_md5);
    file = source.take_file();  // fetched for this block: it becomes the block's file
  } else {
    WriteBytes bytes = source_bytes(source.record, start, length);
    if (expected) md5 = check_source_md5(*expected, md5_of(c, bytes));
    // A block owns its file: the range is copied file to file (memory stays flat).
    file = bytes.pieces.empty() ? c.be.files.create(bytes.memory) : c.be.files.concat(bytes.pieces);
  }
  stage_block(c, id, file, length);
  if (!md5.empty()) c.res.headers.set("Content-MD5", md5);
}

void append_block_from_url(Call& c) {
  if (!c.ctx.snapshot.empty()) throw err::invalid_query_parameter_value("snapshot", c.ctx.snapshot);
  std::string source_url = c.req.headers.get("x-ms-copy-source");
  const uint64_t limit = max_append_block_bytes(c.req.headers);
  auto range = requested_source_range(c);
  if (range && range->length > limit) throw err::request_body_too_large();
  const std::string* expected = expected_source_md5(c);
  LoadedSource source;
  load_copy_source(c, source_url, range, limit, source);
  auto [start, length] = source_range(c, source);
  if (length > limit) throw err::request_body_too_large();
  // Appended straight from where the bytes are (a blob of this service, or
  // the file a remote source was fetched into): no private copy first.
  WriteBytes bytes = source_bytes(source.record, start, length);
  std::string md5;
  if (expected) md5 = check_source_md5(*expected, source.remote ? source.remote_md5 : md5_of(c, bytes));
  append_bytes(c, bytes, md5);
}

void put_page_from_url(Call& c) {
  if (!c.ctx.snapshot.empty()) throw err::invalid_query_parameter_value("snapshot", c.ctx.snapshot);
  std::string source_url = c.req.headers.get("x-ms-copy-source");
  PageRange dest = require_page_range(c.req.headers);
  auto range = requested_source_range(c);
  if (!range) throw err::missing_required_header("x-ms-source-range");
  if (range->length != dest.end - dest.start) throw err::invalid_header_value("x-ms-source-range", c.req.headers.get("x-ms-source-range"));
  if (range->length > kMaxPageWrite) throw err::request_body_too_large();
  const std::string* expected = expected_source_md5(c);
  LoadedSource source;
  load_copy_source(c, source_url, range, kMaxPageWrite, source);
  auto [start, length] = source_range(c, source);
  if (length != range->length) throw err::invalid_range();  // a remote source shorter than the range
  // Written straight from where the bytes are, as Append Block From URL does.
  WriteBytes bytes = source_bytes(source.record, start, length);
  std::string md5;
  if (expected) md5 = check_source_md5(*expected, source.remote ? source.remote_md5 : md5_of(c, bytes));
  write_pages(c, dest, &bytes, md5);
}

void incremental_copy_blob(Call& c) {
  if (!c.ctx.snapshot.empty()) throw err::invalid_query_parameter_value("snapshot", c.ctx.snapshot);
  const std::string* source_url = c.req.headers.find("x-ms-copy-source");
  if (!source_url) throw err::missing_required_header("x-ms-copy-source");
  // The source's page ranges come along, so it must be a page blob of this service.
  if (!parse_source(c, *source_url)) throw err::feature_not_supported("Incremental copies from outside this service");
  Conditions dst_cond = parse_conditions(c.req.headers);
  LoadedSource loaded;
  load_copy_source(c, *source_url, std::nullopt, 0, loaded);
  const BlobRecord& source = loaded.record;
  if (source.snapshot.empty()) throw err::incremental_copy_source_must_be_snapshot();
  if (source.blob_type != "PageBlob") throw err::invalid_blob_type();
  auto without_query = [](const std::string& u) { return u.substr(0, u.find('?')); };
  // The destination and the snapshot this copy makes of it each link the
  // source's chunk files: nothing is copied.
  std::string base_file, snapshot_file;
  BlobRecord out;
  try {
    if (!source.file.empty()) {
      base_file = c.be.files.link(source.file);
      snapshot_file = c.be.files.link(source.file);
    }
    c.be.store.write([&](MetadataWriter& w) {
      require_container(w, c.ctx);
      auto old = w.get_blob(c.ctx.account, c.ctx.container, c.ctx.blob, "");
      check_conditions(dst_cond, bool(old), old ? old->etag : "", old ? old->last_modified_us : 0, false);
      check_if_tags(c.req.headers, old ? old->tags : BlobTags{}, bool(old));
      if (old && !old->incremental_copy) throw err::invalid_blob_type();
      if (old && without_query(old->copy_source) != without_query(*source_url)) throw err::incremental_copy_blob_mismatch();
      if (old && source.snapshot <= old->incremental_source_snapshot) {
        throw err::incremental_copy_of_earlier_snapshot_not_allowed();
      }
      BlobRecord b;
      make_next_version(b, old, c);
      b.blob_type = "PageBlob";
      b.size = source.size;
      b.file = base_file;
      b.page_ranges = source.page_ranges;
      b.sequence_number = source.sequence_number;
      b.props = source.props;
      b.metadata = source.metadata;
      b.incremental_copy = true;
      b.incremental_source_snapshot = source.snapshot;
      b.copy_id = crypto::uuid4();
      b.copy_source = *source_url;
      b.copy_status = "success";
      b.copy_progress = std::to_string(source.size) + "/" + std::to_string(source.size);
      b.copy_completion_us = c.ctx.now_us;
      BlobRecord s = b;
      s.snapshot = timefmt::iso8601(timefmt::from_micros(c.ctx.now_us), 7);
      if (w.get_blob(s.account, s.container, s.name, s.snapshot)) throw err::snapshot_operation_rate_exceeded();
      s.file = snapshot_file;
      s.lease = LeaseRecord{};
      s.version_id.clear();  // snapshots are not versions
      b.copy_destination_snapshot = s.copy_destination_snapshot = s.snapshot;
      w.put_blob(s);
      w.put_blob(b);
      if (old && !old->file.empty()) remove_files_after_commit(w, c.be, {old->file});
      w.sync_dir_before_commit(c.be.files.dir());
      out = std::move(b);
    });
  } catch (...) {
    if (may_discard_files()) {
      c.be.files.remove(base_file);
      c.be.files.remove(snapshot_file);
    }
    throw;
  }
  c.res.status = 202;
  c.res.headers.set("ETag", out.etag);
  c.res.headers.set("Last-Modified", http_date(out.last_modified_us));
  c.res.headers.set("x-ms-copy-id", out.copy_id);
  c.res.headers.set("x-ms-copy-status", "success");
}

namespace {

// The content headers Put Blob From URL sends win over the source's properties.
void override_content_properties(const http::Headers& h, BlobProperties& p) {
  const std::pair<const char*, std::string BlobProperties::*> fields[] = {
      {"x-ms-blob-content-type", &BlobProperties::content_type},
      {"x-ms-blob-content-encoding", &BlobProperties::content_encoding},
      {"x-ms-blob-content-language", &BlobProperties::content_language},
      {"x-ms-blob-cache-control", &BlobProperties::cache_control},
      {"x-ms-blob-content-disposition", &BlobProperties::content_disposition},
      {"x-ms-blob-content-md5", &BlobProperties::content_md5}};
  for (const auto& [header, field] : fields)
    if (const std::string* v = h.find(header)) p.*field = *v;
}

// Copy Blob (202, the copy recorded as the blob's copy state, the source's
// metadata unless new metadata is sent) and Put Blob From URL (201, a new
// block blob from the source's bytes: the request's metadata and content
// headers over the source's properties, staged blocks discarded as Put Blob does).
void copy_into(Call& c, bool put_from_url) {
  if (!c.ctx.snapshot.empty()) throw err::invalid_query_parameter_value("snapshot", c.ctx.snapshot);
  std::string source_url = c.req.headers.get("x-ms-copy-source");
  Conditions dst_cond = parse_conditions(c.req.headers);
  Metadata meta = read_metadata(c.req.headers);
  bool meta_sent = put_from_url;  // Put Blob From URL never takes the source's metadata
  for (const auto& [k, v] : c.req.headers.all())
    if (lower(k).rfind("x-ms-meta-", 0) == 0) meta_sent = true;
  BlobTags tags = request_tags(c.req.headers);
  bool copy_tags = put_from_url && lower(c.req.headers.get("x-ms-copy-source-tag-option")) == "copy";
  if (copy_tags && c.req.headers.has("x-ms-tags")) {
    throw AzureError(409, "InvalidInput", "x-ms-tags cannot be sent with x-ms-copy-source-tag-option: COPY.");
  }
  std::string tier = read_access_tier(c.req.headers, "x-ms-access-tier");
  read_rehydrate_priority(c.req.headers);  // validated; Kiln's copies finish at once
  const std::string* expected = put_from_url ? expected_source_md5(c) : nullptr;
  // Copy Blob (not its synchronous form) may rehydrate an archived source into its destination.
  bool archived_ok = !put_from_url && lower(c.req.headers.get("x-ms-requires-sync")) != "true";
  LoadedSource loaded;
  load_copy_source(c, source_url, std::nullopt, kMaxBlockBytes, loaded, archived_ok);
  const BlobRecord& source = loaded.record;
  // The destination's tier: the one asked for; else a copy of a block blob
  // keeps its source's tier, unless that is Archive (the copy is rehydrated).
  std::string dest_tier = tier;
  if (dest_tier.empty() && !put_from_url && !is_archived(source, c.ctx.now_us)) {
    TierView source_tier = tier_view(source, c.ctx.now_us);
    if (!source_tier.inferred) dest_tier = source_tier.tier;
  }
  if (source.blob_type != "BlockBlob" && !put_from_url) dest_tier.clear();  // only block blobs have tiers
  std::string md5;  // base64, of the bytes copied, when checked
  if (expected) {
    md5 = check_source_md5(*expected, loaded.remote ? loaded.remote_md5
                                                    : md5_of(c, source_bytes(source, 0, uint64_t(source.size))));
  }
  std::string file;
  if (loaded.remote) {
    file = loaded.take_file();
  } else if (!source.file.empty()) {
    // Block blob versions and page blob chunks never change: links share them.
    // An append blob's file grows past the copied length: its bytes are copied.
    file = source.blob_type == "AppendBlob" ? c.be.files.copy(source.file, uint64_t(source.size)) : c.be.files.link(source.file);
  }
  BlobRecord out;
  try {
    c.be.store.write([&](MetadataWriter& w) {
      require_container(w, c.ctx);
      auto old = w.get_blob(c.ctx.account, c.ctx.container, c.ctx.blob, "");
      if (dst_cond.if_none_match && *dst_cond.if_none_match == "*" && old) throw err::blob_already_exists();
      check_conditions(dst_cond, bool(old), old ? old->etag : "", old ? old->last_modified_us : 0, false);
      check_if_tags(c.req.headers, old ? old->tags : BlobTags{}, bool(old));
      BlobRecord b = source;
      b.snapshot.clear();
      b.file = file;
      b.lease = LeaseRecord{};
      make_next_version(b, old, c);
      if (meta_sent) b.metadata = meta;
      if (!copy_tags) b.tags = tags;  // Copy Blob never takes the source's tags
      b.access_tier = dest_tier;
      b.tier_changed_us = b.rehydrate_done_us = 0;
      b.rehydrate_tier.clear();
      b.rehydrate_priority.clear();
      b.sealed = b.blob_type == "AppendBlob" && lower(c.req.headers.get("x-ms-seal-blob")) == "true";
      std::vector<std::string> doomed;
      if (old && !keep_replaced(w, c.be.versioning, *old, c.ctx.now_us) && !old->file.empty()) doomed.push_back(old->file);
      if (put_from_url) {
        b.blob_type = "BlockBlob";
        b.append_count = 0;
        b.page_ranges.clear();
        b.sequence_number = 0;
        b.committed_blocks.clear();
        b.copy_id.clear();
        b.copy_source.clear();
        b.copy_status.clear();
        b.copy_progress.clear();
        b.copy_completion_us = 0;
        if (lower(c.req.headers.get("x-ms-copy-source-blob-properties")) == "false") b.props = BlobProperties{};
        override_content_properties(c.req.headers, b.props);
        for (const auto& blk : w.list_blocks(c.ctx.account, c.ctx.container, c.ctx.blob)) doomed.push_back(blk.file);
        w.delete_blocks(c.ctx.account, c.ctx.container, c.ctx.blob);
      } else {
        b.copy_id = crypto::uuid4();
        b.copy_source = source_url;
        b.copy_status = "success";
        b.copy_progress = std::to_string(source.size) + "/" + std::to_string(source.size);
        b.copy_completion_us = c.ctx.now_us;
      }
      w.put_blob(b);
      remove_files_after_commit(w, c.be, std::move(doomed));
      if (!file.empty()) w.sync_dir_before_commit(c.be.files.dir());
      out = std::move(b);
    });
  } catch (...) {
    if (may_discard_files()) c.be.files.remove(file);
    throw;
  }
  c.res.headers.set("ETag", out.etag);
  c.res.headers.set("Last-Modified", http_date(out.last_modified_us));
  add_version_header(out.version_id, c.res.headers);
  if (put_from_url) {
    c.res.status = 201;
    if (!md5.empty() || !out.props.content_md5.empty()) c.res.headers.set("Content-MD5", md5.empty() ? out.props.content_md5 : md5);
    c.res.headers.set("x-ms-request-server-encrypted", "true");
    return;
  }
  c.res.status = 202;
  c.res.headers.set("x-ms-copy-id", out.copy_id);
  c.res.headers.set("x-ms-copy-status", "success");
}

}  // namespace

void copy_blob(Call& c) { copy_into(c, false); }
void put_blob_from_url(Call& c) { copy_into(c, true); }

void abort_copy_blob(Call& c) {
  BlobRecord b;
  c.be.store.read([&](MetadataReader& r) { b = require_blob(r, c.ctx); });
  throw AzureError(409, "NoPendingCopyOperation", "There is currently no pending copy operation.");
}

}  // namespace kiln::blob
