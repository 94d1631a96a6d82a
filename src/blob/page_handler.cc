// Page blob operations: Put Page (update and clear), Get Page Ranges (also as
// a diff against a snapshot), and the page blob parts of Put Blob and Set Blob
// Properties (size and sequence number). How a page blob is stored: page_layout.h.
#include <strings.h>

#include <charconv>

#include "blob/conditions.h"
#include "blob/customer_key.h"
#include "blob/handlers.h"
#include "blob/immutability.h"
#include "blob/lease.h"
#include "blob/page_layout.h"
#include "blob/response_util.h"
#include "blob/tags.h"
#include "blob/xml_util.h"
#include "core/time_format.h"

namespace kiln::blob {
namespace {

bool equals_nocase(const std::string& a, const char* b) { return strcasecmp(a.c_str(), b) == 0; }

// "bytes=start-end" from x-ms-range (which wins) or Range: [start, end + 1).
// Page writes must cover whole 512-byte pages; reads may leave the end open ("bytes=start-").
std::optional<PageRange> page_range_header(const http::Headers& h, bool whole_pages) {
  const char* name = h.has("x-ms-range") ? "x-ms-range" : "range";
  const std::string* v = h.find(name);
  if (!v) return std::nullopt;
  auto bad = [&] { return err::invalid_header_value(name, *v); };
  if (v->rfind("bytes=", 0) != 0) throw bad();
  std::string_view spec = std::string_view(*v).substr(6);
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) throw bad();
  uint64_t start = 0, last = 0;
  auto number = [&](std::string_view s, uint64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) throw bad();
  };
  number(spec.substr(0, dash), start);
  if (!whole_pages && dash + 1 == spec.size()) return PageRange{start, UINT64_MAX};
  number(spec.substr(dash + 1), last);
  if (last < start || last == UINT64_MAX) throw bad();
  if (whole_pages && (start % kPageSize != 0 || (last + 1) % kPageSize != 0)) throw bad();
  return PageRange{start, last + 1};
}

// x-ms-blob-sequence-number: 0 to 2^63 - 1.
std::optional<int64_t> sequence_header(const http::Headers& h) {
  const std::string* v = h.find("x-ms-blob-sequence-number");
  if (!v) return std::nullopt;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (v->empty() || ec != std::errc() || p != v->data() + v->size() || n < 0)
    throw err::invalid_header_value("x-ms-blob-sequence-number", *v);
  return n;
}

// x-ms-if-sequence-number-le / -lt / -eq of Put Page.
void check_sequence_conditions(const http::Headers& h, int64_t seq) {
  if (auto le = int_header(h, "x-ms-if-sequence-number-le"); le && !(seq <= *le)) throw err::sequence_number_condition_not_met();
  if (auto lt = int_header(h, "x-ms-if-sequence-number-lt"); lt && !(seq < *lt)) throw err::sequence_number_condition_not_met();
  if (auto eq = int_header(h, "x-ms-if-sequence-number-eq"); eq && seq != *eq) throw err::sequence_number_condition_not_met();
}

// Every check a write to an existing page blob makes against its current record.
void check_page_write(const Call& c, const Conditions& cond, const BlobRecord& b) {
  if (b.blob_type != "PageBlob") throw err::invalid_blob_type();
  if (b.incremental_copy) throw err::operation_not_allowed_on_incremental_copy_blob();
  check_conditions(cond, true, b.etag, b.last_modified_us, false);
  check_if_tags(c.req.headers, b.tags);
  check_lease_access(effective_lease(b.lease, c.ctx.now_us), c.req.headers, LeaseTarget::kBlob, true);
  require_unprotected(b);
  require_customer_key(b.customer_key_sha256, c.req.headers);
}

// New files for the chunks a write of `range` touches that it does not cover
// whole (their other bytes come from the chunk's current file), and for the
// chunks an update covers whole. `based_on` gets the file each partly written
// chunk was built from: the commit checks they are still the chunks' files.
struct Rewrite {
  std::vector<ChunkFile> chunks;
  std::vector<ChunkFile> based_on;
  PageRange whole_clear;  // chunks a clear covers whole: made holes
};

Rewrite rewrite_chunks(Backend& be, const BlobRecord& b, PageRange range, const WriteBytes* data) {
  Rewrite out;
  uint64_t first = range.start / kPageChunk, last = (range.end - 1) / kPageChunk;
  auto rewrite = [&](uint64_t k) {
    PageRange span = chunk_span(k, uint64_t(b.size));
    uint64_t a = std::max(span.start, range.start), z = std::min(span.end, range.end);
    bool whole = a == span.start && z == span.end;
    std::string old = whole ? "" : chunk_file(b.file, k);
    // Also a hole: a write landing in it before this commit must be seen.
    if (!whole) out.based_on.push_back({k, old});
    if (!data && (whole || old.empty())) return;  // cleared whole, or a hole stays a hole
    std::vector<BlobFiles::Part> parts;
    if (!old.empty()) {
      if (a > span.start) parts.push_back({0, {{old, 0, a - span.start}}, {}});
      if (z < span.end) parts.push_back({z - span.start, {{old, z - span.start, span.end - z}}, {}});
    }
    if (data) {
      WriteBytes part = data->slice(a - range.start, z - a);
      parts.push_back({a - span.start, std::move(part.pieces), part.memory});
    }
    try {
      out.chunks.push_back({k, be.files.compose(span.end - span.start, parts)});
    } catch (...) {
      for (const auto& c : out.chunks) be.files.remove(c.file);
      throw;
    }
  };
  if (data) {
    for (uint64_t k = first; k <= last; ++k) rewrite(k);
    return out;
  }
  // A clear may span the whole blob: only its end chunks can be partly covered.
  rewrite(first);
  if (last != first) rewrite(last);
  uint64_t hole_from = (range.start + kPageChunk - 1) / kPageChunk * kPageChunk;
  uint64_t hole_to = range.end == uint64_t(b.size) ? range.end : range.end / kPageChunk * kPageChunk;
  if (hole_from < hole_to) out.whole_clear = {hole_from, hole_to};
  return out;
}

// Writes `b` back as the blob's next version: new ETag and Last-Modified, the
// files it no longer uses removed after the commit, the data directory synced
// first when the change created files.
void save_new_version(MetadataWriter& w, Call& c, BlobRecord& b, std::vector<std::string> unused, bool created_files) {
  b.etag = new_etag();
  b.last_modified_us = c.ctx.now_us;
  w.put_blob(b);
  remove_files_after_commit(w, c.be, std::move(unused));
  if (created_files) w.sync_dir_before_commit(c.be.files.dir());
}

void set_page_answer(Call& c, const BlobRecord& b) {
  c.res.headers.set("ETag", b.etag);
  c.res.headers.set("Last-Modified", http_date(b.last_modified_us));
  c.res.headers.set("x-ms-blob-sequence-number", std::to_string(b.sequence_number));
  add_customer_key_header(b.customer_key_sha256, c.res.headers);
}

}  // namespace

NewPageBlob read_new_page_blob(const http::Headers& h, uint64_t body_bytes) {
  if (body_bytes) throw err::invalid_header_value("Content-Length", std::to_string(body_bytes));
  const std::string* length = h.find("x-ms-blob-content-length");
  if (!length) throw err::missing_required_header("x-ms-blob-content-length");
  auto size = int_header(h, "x-ms-blob-content-length");
  if (uint64_t(*size) % kPageSize != 0 || uint64_t(*size) > kMaxPageBlobSize)
    throw err::invalid_header_value("x-ms-blob-content-length", *length);
  if (h.has("x-ms-access-tier")) throw err::feature_not_supported("Premium page blob tiers");
  return {uint64_t(*size), sequence_header(h).value_or(0)};
}

PageRange require_page_range(const http::Headers& h) {
  auto range = page_range_header(h, true);
  if (!range) throw err::missing_required_header("x-ms-range");
  return *range;
}

void put_page(Call& c) {
  if (!c.ctx.snapshot.empty()) throw err::invalid_query_parameter_value("snapshot", c.ctx.snapshot);
  const http::Headers& h = c.req.headers;
  const std::string* write = h.find("x-ms-page-write");
  if (!write) throw err::missing_required_header("x-ms-page-write");
  bool clear = equals_nocase(*write, "clear");
  if (!clear && !equals_nocase(*write, "update")) throw err::invalid_header_value("x-ms-page-write", *write);
  PageRange range = require_page_range(h);
  uint64_t n = body_size(c.req);
  if (clear && n) throw err::invalid_header_value("Content-Length", std::to_string(n));
  if (clear) return write_pages(c, range, nullptr, "");
  if (n > kMaxPageWrite) throw err::request_body_too_large();
  if (n != range.end - range.start) throw err::invalid_page_range();
  std::string md5 = verify_body(c.req, c.res);
  WriteBytes bytes = body_bytes(c.req);
  write_pages(c, range, &bytes, md5);
}

void write_pages(Call& c, PageRange range, const WriteBytes* bytes, const std::string& md5) {
  const http::Headers& h = c.req.headers;
  const bool clear = bytes == nullptr;
  Conditions cond = parse_conditions(h);
  // Chunk files are built outside the commit, which checks that the chunks
  // they were built from are still current (another write to the same chunk
  // in between: build again). Writes of whole chunks never wait for each
  // other; writes of parts of one chunk take turns, so that they do not keep
  // redoing their copies after each other's commits.
  std::vector<uint64_t> partial;
  if (range.start % kPageChunk != 0) partial.push_back(range.start / kPageChunk);
  if (range.end % kPageChunk != 0) partial.push_back((range.end - 1) / kPageChunk);
  auto turn = lock_blob_parts(c.ctx, partial);
  for (int attempt = 0;; ++attempt) {
    BlobRecord b;
    c.be.store.read([&](MetadataReader& r) { b = require_blob(r, c.ctx); });
    check_page_write(c, cond, b);
    check_sequence_conditions(h, b.sequence_number);
    if (range.end > uint64_t(b.size)) throw err::invalid_page_range();
    Rewrite rw = rewrite_chunks(c.be, b, range, bytes);
    std::vector<std::string> created;
    for (const auto& ch : rw.chunks) created.push_back(ch.file);
    BlobRecord out;
    bool committed = commit_built_files(c, created, [&](MetadataWriter& w) {
      BlobRecord now = require_blob(w, c.ctx);
      check_page_write(c, cond, now);
      check_sequence_conditions(h, now.sequence_number);
      if (range.end > uint64_t(now.size)) throw err::invalid_page_range();
      for (const auto& base : rw.based_on)
        if (chunk_file(now.file, base.index) != base.file) return false;
      std::vector<std::string> replaced;
      now.file = replace_chunks(now.file, uint64_t(now.size), rw.chunks, replaced);
      if (rw.whole_clear.start < rw.whole_clear.end) now.file = make_hole(now.file, rw.whole_clear, replaced);
      PageRanges pages = parse_pages(now.page_ranges);
      if (clear) {
        remove_pages(pages, range.start, range.end);
      } else {
        add_pages(pages, range.start, range.end);
      }
      now.page_ranges = format_pages(pages);
      save_new_version(w, c, now, std::move(replaced), !created.empty());
      out = std::move(now);
      return true;
    });
    if (!committed) {
      if (attempt >= 50) throw err::condition_not_met();
      continue;
    }
    c.res.status = 201;
    set_page_answer(c, out);
    if (!clear) c.res.headers.set("Content-MD5", md5);
    c.res.headers.set("x-ms-request-server-encrypted", "true");
    return;
  }
}

void get_page_ranges(Call& c) {
  BlobRecord b = read_blob_checked(c, true);
  if (b.blob_type != "PageBlob") throw err::invalid_blob_type();
  uint64_t size = uint64_t(b.size);
  PageRange window{0, size};
  if (auto r = page_range_header(c.req.headers, false)) {
    if (r->start >= size && size > 0) throw err::invalid_page_range();
    window = {r->start, std::min(r->end, size)};
  }
  // Paging (maxresults / marker): the marker is the offset to go on from.
  size_t limit = SIZE_MAX;
  if (auto m = c.req.query_param("maxresults")) {
    if (m->empty() || m->size() > 9 || m->find_first_not_of("0123456789") != std::string::npos || std::stoul(*m) == 0)
      throw err::invalid_query_parameter_value("maxresults", *m);
    limit = std::stoul(*m);
  }
  if (auto m = c.req.query_param("marker"); m && !m->empty()) {
    uint64_t from = 0;
    auto [p, ec] = std::from_chars(m->data(), m->data() + m->size(), from);
    if (ec != std::errc() || p != m->data() + m->size()) throw err::invalid_query_parameter_value("marker", *m);
    window.start = std::max(window.start, from);
  }
  PageRanges pages = parse_pages(b.page_ranges);
  struct Entry {
    PageRange range;
    bool clear = false;
  };
  std::vector<Entry> entries;
  if (auto prev_name = c.req.query_param("prevsnapshot")) {
    // Changes since an older snapshot: pages of the chunks that differ from it,
    // written (PageRange) or no longer written (ClearRange). A chunk counts as
    // changed whole, so unchanged pages in it may be listed too.
    std::optional<BlobRecord> prev;
    c.be.store.read([&](MetadataReader& r) { prev = r.get_blob(c.ctx.account, c.ctx.container, c.ctx.blob, *prev_name); });
    if (!prev || prev->blob_type != "PageBlob") throw err::previous_snapshot_not_found();
    if (!b.snapshot.empty() && *prev_name >= b.snapshot) throw err::previous_snapshot_cannot_be_newer();
    PageRanges old_pages = parse_pages(prev->page_ranges);
    auto spans = differing_spans(prev->file, uint64_t(prev->size), b.file, size,
                                 [&](const std::string& x, const std::string& y) { return c.be.files.same_file(x, y); });
    for (const auto& s : spans) {
      PageRange w{std::max(s.start, window.start), std::min(s.end, window.end)};
      if (w.start >= w.end) continue;
      for (const auto& p : pages_within(pages, w.start, w.end)) entries.push_back({p, false});
      PageRanges gone = pages_within(old_pages, w.start, w.end);
      for (const auto& p : pages) remove_pages(gone, p.start, p.end);
      for (const auto& p : gone) entries.push_back({p, true});
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) { return x.range.start < y.range.start; });
  } else {
    for (const auto& p : pages_within(pages, window.start, window.end)) entries.push_back({p, false});
  }
  XmlWriter x;
  x.open("PageList");
  size_t listed = 0;
  for (const auto& e : entries) {
    if (listed == limit) {
      x.elem("NextMarker", std::to_string(e.range.start));
      break;
    }
    const char* tag = e.clear ? "ClearRange" : "PageRange";
    x.open(tag).elem("Start", std::to_string(e.range.start)).elem("End", std::to_string(e.range.end - 1)).close(tag);
    ++listed;
  }
  x.close("PageList");
  c.res.body = x.take();
  c.res.headers.set("Content-Type", "application/xml");
  c.res.headers.set("ETag", b.etag);
  c.res.headers.set("Last-Modified", http_date(b.last_modified_us));
  c.res.headers.set("x-ms-blob-content-length", std::to_string(size));
}

bool is_page_blob_properties(const http::Headers& h) {
  return h.has("x-ms-blob-content-length") || h.has("x-ms-sequence-number-action");
}

void set_page_blob_properties(Call& c) {
  if (!c.ctx.snapshot.empty()) throw err::invalid_query_parameter_value("snapshot", c.ctx.snapshot);
  const http::Headers& h = c.req.headers;
  std::optional<uint64_t> new_size;
  if (const std::string* v = h.find("x-ms-blob-content-length")) {
    auto n = int_header(h, "x-ms-blob-content-length");
    if (uint64_t(*n) % kPageSize != 0 || uint64_t(*n) > kMaxPageBlobSize) throw err::invalid_header_value("x-ms-blob-content-length", *v);
    new_size = uint64_t(*n);
  }
  std::optional<int64_t> seq = sequence_header(h);
  const std::string* action = h.find("x-ms-sequence-number-action");
  if (action) {
    bool increment = equals_nocase(*action, "increment");
    if (!increment && !equals_nocase(*action, "max") && !equals_nocase(*action, "update"))
      throw err::invalid_header_value("x-ms-sequence-number-action", *action);
    if (increment && seq) throw err::invalid_header_value("x-ms-blob-sequence-number", h.get("x-ms-blob-sequence-number"));
    if (!increment && !seq) throw err::missing_required_header("x-ms-blob-sequence-number");
  }
  Conditions cond = parse_conditions(h);
  for (int attempt = 0;; ++attempt) {
    BlobRecord b;
    c.be.store.read([&](MetadataReader& r) { b = require_blob(r, c.ctx); });
    check_page_write(c, cond, b);
    // A resize that ends inside a chunk with a file rewrites that chunk: bytes
    // past the smaller end must read as zeros.
    std::vector<ChunkFile> boundary;
    uint64_t k = 0;
    if (new_size && resize_boundary_chunk(uint64_t(b.size), *new_size, k)) {
      std::string old = chunk_file(b.file, k);
      if (!old.empty()) {
        PageRange span = chunk_span(k, *new_size);
        uint64_t keep = std::min<uint64_t>(uint64_t(b.size), *new_size) - span.start;
        boundary.push_back({k, c.be.files.compose(span.end - span.start, {{0, {{old, 0, keep}}, {}}})});
      }
    }
    std::vector<std::string> created;
    for (const auto& ch : boundary) created.push_back(ch.file);
    BlobRecord out;
    bool committed = commit_built_files(c, created, [&](MetadataWriter& w) {
      BlobRecord now = require_blob(w, c.ctx);
      if (now.etag != b.etag) return false;
      std::vector<std::string> dropped;
      if (new_size) {
        now.file = resize_layout(now.file, *new_size, dropped);
        if (!boundary.empty()) now.file = replace_chunks(now.file, *new_size, boundary, dropped);
        PageRanges pages = parse_pages(now.page_ranges);
        remove_pages(pages, *new_size, UINT64_MAX);
        now.page_ranges = format_pages(pages);
        now.size = int64_t(*new_size);
      }
      if (action) {
        if (equals_nocase(*action, "increment")) {
          if (now.sequence_number == INT64_MAX) throw err::sequence_number_increment_too_large();
          now.sequence_number += 1;
        } else if (equals_nocase(*action, "max")) {
          now.sequence_number = std::max(now.sequence_number, *seq);
        } else {
          now.sequence_number = *seq;
        }
      }
      save_new_version(w, c, now, std::move(dropped), !created.empty());
      out = std::move(now);
      return true;
    });
    if (!committed) {
      if (attempt >= 50) throw err::condition_not_met();
      continue;
    }
    set_page_answer(c, out);
    return;
  }
}

}  // namespace kiln::blob
