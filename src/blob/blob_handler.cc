// Blob-level operations on whole blobs: Get/Put/Delete Blob, properties,
// metadata, leases and snapshots.
#include <cerrno>
#include <map>
#include <unistd.h>

#include "blob/access_tier.h"
#include "blob/conditions.h"
#include "blob/customer_key.h"
#include "blob/handlers.h"
#include "blob/immutability.h"
#include "blob/lease.h"
#include "blob/names.h"
#include "blob/page_layout.h"
#include "blob/response_util.h"
#include "blob/soft_delete.h"
#include "blob/tags.h"
#include "blob/versions.h"
#include "core/crypto.h"
#include "core/time_format.h"

namespace kiln::blob {
namespace {

struct Range {
  uint64_t start = 0;
  std::optional<uint64_t> end;  // inclusive
};

// "bytes=a-b" or "bytes=a-". Anything else is ignored (whole blob), as Azure does.
std::optional<Range> parse_range(const http::Headers& h) {
  std::string v = h.get("x-ms-range");
  if (v.empty()) v = h.get("range");
  if (v.rfind("bytes=", 0) != 0) return std::nullopt;
  std::string spec = v.substr(6);
  size_t dash = spec.find('-');
  if (dash == std::string::npos || dash == 0) return std::nullopt;
  std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
  if (a.find_first_not_of("0123456789") != std::string::npos || a.size() > 18) return std::nullopt;
  if (b.find_first_not_of("0123456789") != std::string::npos || b.size() > 18) return std::nullopt;
  Range r;
  r.start = std::stoull(a);
  if (!b.empty()) {
    r.end = std::stoull(b);
    if (*r.end < r.start) throw err::invalid_range();
  }
  return r;
}

// Content headers of Put Blob / Set Blob Properties: x-ms-blob-content-* wins
// over the plain header (Put Blob only).
BlobProperties read_content_properties(const http::Headers& h, bool plain_fallback) {
  auto pick = [&](const char* ms, const char* plain) {
    if (const auto* v = h.find(ms)) return *v;
    if (plain_fallback) return h.get(plain);
    return std::string();
  };
  BlobProperties p;
  p.content_type = pick("x-ms-blob-content-type", "content-type");
  p.content_encoding = pick("x-ms-blob-content-encoding", "content-encoding");
  p.content_language = pick("x-ms-blob-content-language", "content-language");
  p.cache_control = pick("x-ms-blob-cache-control", "cache-control");
  p.content_disposition = pick("x-ms-blob-content-disposition", "content-disposition");
  p.content_md5 = h.get("x-ms-blob-content-md5");
  if (!p.content_md5.empty()) {
    auto raw = crypto::base64_decode(p.content_md5);
    if (!raw || raw->size() != 16) throw err::invalid_md5();
  }
  return p;
}

// The bytes a GET will send: [start, start + length), so that only the extents
// it reads are opened. Invalid ranges open nothing (the error is raised later,
// after the checks that take precedence).
std::pair<uint64_t, uint64_t> wanted_bytes(const http::Headers& h, uint64_t size) {
  std::optional<Range> r;
  try {
    r = parse_range(h);
  } catch (...) {
    return {0, 0};
  }
  if (!r) return {0, size};
  if (r->start >= size) return {0, 0};
  uint64_t end = r->end ? std::min(*r->end, size - 1) : size - 1;
  return {r->start, end - r->start + 1};
}

void no_snapshot(const RequestContext& ctx) {
  if (!ctx.snapshot.empty()) throw err::invalid_query_parameter_value("snapshot", ctx.snapshot);
}

}  // namespace

void get_blob(Call& c, bool head) {
  OpenBlob blob = read_and_open_blob(
      c,
      [&] {
        BlobRecord b;
        c.be.store.read([&](MetadataReader& r) { b = require_blob(r, c.ctx); });
        return b;
      },
      [&](const BlobRecord& b) {
        return head ? std::pair<uint64_t, uint64_t>{0, 0} : wanted_bytes(c.req.headers, uint64_t(b.size));
      });
  const BlobRecord& b = blob.record;
  const auto& fds = blob.fds;
  require_customer_key(b.customer_key_sha256, c.req.headers);
  check_conditions(parse_conditions(c.req.headers), true, b.etag, b.last_modified_us, true);
  check_if_tags(c.req.headers, b.tags);
  if (b.snapshot.empty()) check_lease_access(effective_lease(b.lease, c.ctx.now_us), c.req.headers, LeaseTarget::kBlob, false);
  if (!head) require_online(b, c.ctx.now_us);
  add_blob_headers(b, c.ctx.now_us, c.res);
  uint64_t size = uint64_t(b.size);
  if (head) {
    c.res.headers.set("Content-Length", std::to_string(size));
    c.res.suppress_body = true;
    return;
  }
  auto range = parse_range(c.req.headers);
  uint64_t start = 0, length = size;
  if (range) {
    if (range->start >= size) {
      c.res.headers.set("Content-Range", "bytes */" + std::to_string(size));
      throw err::invalid_range();
    }
    uint64_t end = range->end ? std::min(*range->end, size - 1) : size - 1;
    start = range->start;
    length = end - start + 1;
    c.res.status = 206;
    c.res.headers.set("Content-Range",
                      "bytes " + std::to_string(start) + "-" + std::to_string(end) + "/" + std::to_string(size));
    c.res.headers.erase("Content-MD5");
    if (!b.props.content_md5.empty()) c.res.headers.set("x-ms-blob-content-md5", b.props.content_md5);
    std::string want_md5 = c.req.headers.get("x-ms-range-get-content-md5");
    if (want_md5 == "true") {
      if (length > (4u << 20)) {
        throw err::out_of_range_input("x-ms-range-get-content-md5 is only allowed for ranges up to 4 MiB.");
      }
      c.res.headers.set("Content-MD5", crypto::base64_encode(crypto::md5(read_blob_bytes(c.be, b, start, length))));
    }
  }
  if (b.file.empty()) {
    c.res.body = b.inline_data.substr(size_t(start), size_t(length));
  } else {
    for (const auto& p : BlobFiles::locate(b.file, start, length))
      c.res.files.push_back(http::FileBody{fds.at(p.name), p.offset, p.length});
  }
}

void put_blob(Call& c) {
  no_snapshot(c.ctx);
  std::string type = c.req.headers.get("x-ms-blob-type");
  if (type.empty()) throw err::missing_required_header("x-ms-blob-type");
  if (type != "BlockBlob" && type != "AppendBlob" && type != "PageBlob") throw err::invalid_header_value("x-ms-blob-type", type);
  uint64_t size = body_size(c.req);
  if (type == "AppendBlob" && size) throw err::invalid_header_value("Content-Length", std::to_string(size));
  std::optional<NewPageBlob> page;
  if (type == "PageBlob") page = read_new_page_blob(c.req.headers, size);
  std::string md5 = verify_body(c.req, c.res);
  BlobProperties props = read_content_properties(c.req.headers, true);
  Metadata meta = read_metadata(c.req.headers);
  Conditions cond = parse_conditions(c.req.headers);
  BlobTags tags = request_tags(c.req.headers);
  std::string tier = type == "BlockBlob" ? read_access_tier(c.req.headers, "x-ms-access-tier") : "";
  bool use_file = type == "BlockBlob" && size > kInlineLimit;
  std::string file = use_file ? take_body_file(c) : "";
  struct Written {
    std::string etag;
    int64_t last_modified_us = 0;
    std::string version_id;
    std::string key_sha256;
  };
  auto written = std::make_shared<Written>();
  // Runs on the store's writer thread, maybe after this function returned:
  // everything it uses is captured by value or reached through `c`.
  Commit commit = [=](MetadataWriter& w, Call& c) {
    require_container(w, c.ctx);
    auto old = w.get_blob(c.ctx.account, c.ctx.container, c.ctx.blob, "");
    if (cond.if_none_match && *cond.if_none_match == "*" && old) throw err::blob_already_exists();
    check_conditions(cond, bool(old), old ? old->etag : "", old ? old->last_modified_us : 0, false);
    check_if_tags(c.req.headers, old ? old->tags : BlobTags{}, bool(old));
    BlobRecord b;
    make_next_version(b, old, c);
    b.blob_type = type;
    b.tags = tags;
    b.access_tier = tier;
    b.size = int64_t(size);
    b.file = file;
    if (page) {  // all holes until pages are written (page_layout.h)
      b.size = int64_t(page->size);
      b.file = empty_layout(page->size);
      b.sequence_number = page->sequence_number;
    }
    // Taken, not copied: only the MD5 (above) and this record need the body.
    if (!use_file && type == "BlockBlob") b.inline_data = std::move(c.req.body);
    b.props = props;
    if (type == "BlockBlob" && b.props.content_md5.empty()) b.props.content_md5 = md5;
    b.metadata = meta;
    bool kept = old && keep_replaced(w, c.be.versioning, *old, c.ctx.now_us);
    w.put_blob(b);
    std::vector<std::string> doomed;
    if (old && !kept && !old->file.empty()) doomed.push_back(old->file);
    auto staged = w.list_blocks(c.ctx.account, c.ctx.container, c.ctx.blob);
    for (const auto& blk : staged) doomed.push_back(blk.file);
    if (!staged.empty()) w.delete_blocks(c.ctx.account, c.ctx.container, c.ctx.blob);
    remove_files_after_commit(w, c.be, std::move(doomed));
    if (use_file) w.sync_dir_before_commit(c.be.files.dir());
    written->etag = b.etag;
    written->last_modified_us = b.last_modified_us;
    written->version_id = b.version_id;
    written->key_sha256 = b.customer_key_sha256;
  };
  auto respond = [=](Call& c) {
    c.res.status = 201;
    c.res.headers.set("ETag", written->etag);
    c.res.headers.set("Last-Modified", http_date(written->last_modified_us));
    if (type == "BlockBlob") c.res.headers.set("Content-MD5", md5);
    c.res.headers.set("x-ms-request-server-encrypted", "true");
    add_version_header(written->version_id, c.res.headers);
    add_customer_key_header(written->key_sha256, c.res.headers);
  };
  if (!use_file) return commit_then_respond(c, std::move(commit), std::move(respond));
  try {
    c.be.store.write([&](MetadataWriter& w) { commit(w, c); });
  } catch (...) {
    if (may_discard_files()) c.be.files.remove(file);
    throw;
  }
  respond(c);
}

void delete_blob(Call& c) {
  std::string ds = c.req.headers.get("x-ms-delete-snapshots");
  if (!ds.empty() && ds != "include" && ds != "only") throw err::invalid_header_value("x-ms-delete-snapshots", ds);
  if (!ds.empty() && !c.ctx.snapshot.empty()) throw err::invalid_query_parameter_value("snapshot", c.ctx.snapshot);
  if (!ds.empty() && !c.ctx.version_id.empty()) throw err::invalid_query_parameter_value("versionid", c.ctx.version_id);
  Conditions cond = parse_conditions(c.req.headers);
  int64_t days = 0;
  bool versioned = false;  // the current version was kept as a previous one
  c.be.store.write([&](MetadataWriter& w) {
    BlobRecord b = require_blob(w, c.ctx);
    if (!c.ctx.version_id.empty() && b.snapshot.empty()) throw err::operation_not_allowed_on_root_blob();
    if (ds != "only") require_deletable(b, c.ctx.now_us);
    check_conditions(cond, true, b.etag, b.last_modified_us, false);
    check_if_tags(c.req.headers, b.tags);
    days = delete_retention_days(w, c.ctx.account);
    std::vector<std::string> doomed;
    // Gone for good, or (with a retention policy) kept whole under a deleted key.
    auto remove = [&](const std::string& snapshot, const std::string& file) {
      if (days > 0) {
        BlobRecord kept = *w.get_blob(b.account, b.container, b.name, snapshot, true);
        kept.snapshot = deleted_snapshot(c.ctx.now_us, snapshot);
        kept.deleted_us = c.ctx.now_us;
        kept.retention_days = days;
        kept.lease = LeaseRecord{};
        w.put_blob(kept);
      } else if (!file.empty()) {
        doomed.push_back(file);
      }
      w.delete_blob(b.account, b.container, b.name, snapshot);
    };
    if (!b.snapshot.empty()) {  // a snapshot or a previous version
      remove(b.snapshot, b.file);
      remove_files_after_commit(w, c.be, std::move(doomed));
      return;
    }
    check_lease_access(effective_lease(b.lease, c.ctx.now_us), c.req.headers, LeaseTarget::kBlob, true);
    bool snapshots = w.has_snapshots(b.account, b.container, b.name);
    if (snapshots && ds.empty()) throw err::snapshots_present();
    if (snapshots) {
      ListBlobsQuery q;
      q.prefix = b.name;
      q.start_after = b.name;
      q.include_snapshots = true;
      q.limit = 1000000;
      auto snapshots_of_blob = w.list_blobs(b.account, b.container, q);
      for (const auto& s : snapshots_of_blob)
        if (s.name == b.name && !s.snapshot.empty()) require_deletable(s, c.ctx.now_us);  // before any is removed
      for (const auto& s : snapshots_of_blob)
        if (s.name == b.name && !s.snapshot.empty()) remove(s.snapshot, s.file);
    }
    if (ds != "only") {
      if (c.be.versioning) {  // the deleted blob lives on as a previous version, files and all
        keep_as_previous_version(w, b);
        w.delete_blob(b.account, b.container, b.name, "");
        versioned = true;
      } else {
        remove("", b.file);
      }
      for (const auto& blk : w.list_blocks(b.account, b.container, b.name)) doomed.push_back(blk.file);
      w.delete_blocks(b.account, b.container, b.name);
    }
    remove_files_after_commit(w, c.be, std::move(doomed));
  });
  c.res.status = 202;
  c.res.headers.set("x-ms-delete-type-permanent", days > 0 || versioned ? "false" : "true");
}

void undelete_blob(Call& c) {
  no_snapshot(c.ctx);
  c.be.store.write([&](MetadataWriter& w) {
    require_container(w, c.ctx);
    ListBlobsQuery q;
    q.prefix = c.ctx.blob;
    q.start_after = c.ctx.blob;
    q.include_deleted = true;
    q.limit = 1000000;
    auto found = w.list_blobs(c.ctx.account, c.ctx.container, q);
    bool any = false;
    // Newest first: of a blob deleted twice, the later version comes back.
    for (auto it = found.rbegin(); it != found.rend(); ++it) {
      if (it->name != c.ctx.blob || !is_deleted_snapshot(it->snapshot)) continue;
      any = true;
      std::string key = original_snapshot(it->snapshot);
      if (w.get_blob(c.ctx.account, c.ctx.container, c.ctx.blob, key)) continue;  // taken again: stays deleted
      BlobRecord back = *w.get_blob(c.ctx.account, c.ctx.container, c.ctx.blob, it->snapshot, true);
      back.snapshot = key;
      back.deleted_us = back.retention_days = 0;
      w.put_blob(back);
      w.delete_blob(c.ctx.account, c.ctx.container, c.ctx.blob, it->snapshot);
    }
    if (!any && !w.get_blob(c.ctx.account, c.ctx.container, c.ctx.blob, "")) throw err::blob_not_found();
  });
}

// Shared shape of the small read-modify-write blob operations: fn(record, writer).
template <class Fn>
BlobRecord modify_blob(Call& c, Fn&& fn) {
  no_snapshot(c.ctx);
  Conditions cond = parse_conditions(c.req.headers);
  BlobRecord out;
  c.be.store.write([&](MetadataWriter& w) {
    // With its block list: the record is written back whole.
    BlobRecord b = require_blob(w, c.ctx, true);
    check_conditions(cond, true, b.etag, b.last_modified_us, false);
    check_if_tags(c.req.headers, b.tags);
    fn(b, w);
    w.put_blob(b);
    out = std::move(b);
  });
  return out;
}

void set_blob_properties(Call& c) {
  if (is_page_blob_properties(c.req.headers)) return set_page_blob_properties(c);
  BlobProperties props = read_content_properties(c.req.headers, false);
  BlobRecord b = modify_blob(c, [&](BlobRecord& b, MetadataWriter&) {
    check_lease_access(effective_lease(b.lease, c.ctx.now_us), c.req.headers, LeaseTarget::kBlob, true);
    require_online(b, c.ctx.now_us);
    b.props = props;  // Azure clears the content headers that are not sent
    b.etag = new_etag();
    b.last_modified_us = c.ctx.now_us;
  });
  c.res.headers.set("ETag", b.etag);
  c.res.headers.set("Last-Modified", http_date(b.last_modified_us));
}

void get_blob_metadata(Call& c) {
  BlobRecord b = read_blob_checked(c, true);
  require_customer_key(b.customer_key_sha256, c.req.headers);  // metadata is encrypted too
  c.res.headers.set("ETag", b.etag);
  c.res.headers.set("Last-Modified", http_date(b.last_modified_us));
  add_metadata_headers(b.metadata, c.res.headers);
}

void set_blob_metadata(Call& c) {
  Metadata meta = read_metadata(c.req.headers);
  std::vector<std::string> linked;  // the previous version's own links to the bytes (versioning)
  BlobRecord b;
  try {
    b = modify_blob(c, [&](BlobRecord& b, MetadataWriter& w) {
      check_lease_access(effective_lease(b.lease, c.ctx.now_us), c.req.headers, LeaseTarget::kBlob, true);
      require_online(b, c.ctx.now_us);
      require_unprotected(b);
      require_customer_key(b.customer_key_sha256, c.req.headers);
      if (c.be.versioning) {  // new metadata makes a new version
        keep_as_previous_version(w, b, &c.be.files, &linked);
        b.version_id = next_version_id(b, c.ctx.now_us);
      }
      b.metadata = meta;
      b.etag = new_etag();
      b.last_modified_us = c.ctx.now_us;
    });
  } catch (...) {
    if (may_discard_files())
      for (const auto& f : linked) c.be.files.remove(f);
    throw;
  }
  c.res.headers.set("ETag", b.etag);
  c.res.headers.set("Last-Modified", http_date(b.last_modified_us));
  c.res.headers.set("x-ms-request-server-encrypted", "true");
  add_version_header(b.version_id, c.res.headers);
  add_customer_key_header(b.customer_key_sha256, c.res.headers);
}

void lease_blob(Call& c) {
  BlobRecord b = modify_blob(c, [&](BlobRecord& b, MetadataWriter&) { apply_lease_action(b.lease, c.req, c.ctx.now_us, c.res); });
  c.res.headers.set("ETag", b.etag);
  c.res.headers.set("Last-Modified", http_date(b.last_modified_us));
}

// Tiers are recorded, reported and enforced (access_tier.h); Kiln stores every tier the same way.
void set_blob_tier(Call& c) {
  std::string tier = read_access_tier(c.req.headers, "x-ms-access-tier");
  if (tier.empty()) throw err::missing_required_header("x-ms-access-tier");
  std::string priority = read_rehydrate_priority(c.req.headers);
  c.be.store.write([&](MetadataWriter& w) {
    BlobRecord b = require_blob(w, c.ctx, true);  // a blob or a snapshot, written back whole
    if (b.blob_type != "BlockBlob") throw err::invalid_blob_type();
    check_if_tags(c.req.headers, b.tags);
    if (b.snapshot.empty()) {
      check_lease_access(effective_lease(b.lease, c.ctx.now_us), c.req.headers, LeaseTarget::kBlob, false);
    } else if (tier != "Archive" && is_archived(b, c.ctx.now_us)) {
      throw err::blob_archived();  // an archived snapshot is not rehydrated: Copy Blob reads it into a new blob
    }
    c.res.status = change_tier(b, tier, priority, c.ctx.now_us);  // ETag and Last-Modified stay, as on Azure
    w.put_blob(b);
  });
}

void snapshot_blob(Call& c) {
  no_snapshot(c.ctx);
  Conditions cond = parse_conditions(c.req.headers);
  Metadata meta = read_metadata(c.req.headers);
  bool meta_sent = !meta.empty();
  std::string snapshot;
  BlobRecord base;
  std::string linked;
  try {
    c.be.store.write([&](MetadataWriter& w) {
      base = require_blob(w, c.ctx, true);  // a snapshot keeps the block list too
      check_conditions(cond, true, base.etag, base.last_modified_us, false);
      check_if_tags(c.req.headers, base.tags);
      check_lease_access(effective_lease(base.lease, c.ctx.now_us), c.req.headers, LeaseTarget::kBlob, false);
      require_online(base, c.ctx.now_us);
      require_customer_key(base.customer_key_sha256, c.req.headers);
      BlobRecord s = base;
      s.snapshot = timefmt::iso8601(timefmt::from_micros(c.ctx.now_us), 7);
      s.version_id.clear();  // snapshots are not versions,
      start_immutability(s, {});  // and start without a policy or hold of their own
      if (w.get_blob(s.account, s.container, s.name, s.snapshot)) throw err::snapshot_operation_rate_exceeded();
      s.lease = LeaseRecord{};
      if (meta_sent) s.metadata = meta;
      if (!base.file.empty()) {
        // Block blob versions are immutable, so a hard link shares the bytes;
        // append blobs only grow past the snapshot's length, so linking is safe too.
        linked = c.be.files.link(base.file);
        s.file = linked;
        w.sync_dir_before_commit(c.be.files.dir());
      }
      w.put_blob(s);
      snapshot = s.snapshot;
    });
  } catch (...) {
    if (!linked.empty() && may_discard_files()) c.be.files.remove(linked);
    throw;
  }
  c.res.status = 201;
  c.res.headers.set("x-ms-snapshot", snapshot);
  add_customer_key_header(base.customer_key_sha256, c.res.headers);
  c.res.headers.set("ETag", base.etag);
  c.res.headers.set("Last-Modified", http_date(base.last_modified_us));
  c.res.headers.set("x-ms-request-server-encrypted", "false");
}

}  // namespace kiln::blob
