// Block blobs built from blocks (Put Block, Put Block List, Get Block List)
// and Append Block for append blobs.
#include <map>
#include <set>

#include "blob/access_tier.h"
#include "blob/conditions.h"
#include "blob/customer_key.h"
#include "blob/handlers.h"
#include "blob/lease.h"
#include "blob/response_util.h"
#include "blob/tags.h"
#include "blob/versions.h"
#include "blob/xml_parse.h"
#include "blob/xml_util.h"
#include "core/crypto.h"

namespace kiln::blob {
namespace {

// Decoded length of a valid block id; InvalidQueryParameterValue otherwise.
size_t check_block_id(const std::string& id) {
  auto raw = crypto::base64_decode(id);
  if (!raw || raw->empty() || raw->size() > 64) throw err::invalid_query_parameter_value("blockid", id);
  return raw->size();
}

size_t decoded_size(const std::string& id) {
  auto raw = crypto::base64_decode(id);
  return raw ? raw->size() : 0;
}

}  // namespace

void put_block(Call& c) {
  std::string id = require_block_id(c);
  uint64_t size = body_size(c.req);
  if (size == 0) throw err::invalid_header_value("Content-Length", "0");
  if (size > kMaxBlockBytes) throw err::request_body_too_large();
  // A block's MD5 is not stored; it is only computed to verify a sent Content-MD5.
  std::string md5 = verify_body(c.req, c.res, false);
  stage_block(c, id, take_body_file(c), size);
  if (!md5.empty()) c.res.headers.set("Content-MD5", md5);
}

std::string require_block_id(Call& c) {
  if (!c.ctx.snapshot.empty()) throw err::invalid_query_parameter_value("snapshot", c.ctx.snapshot);
  auto id = c.req.query_param("blockid");
  if (!id) throw err::missing_required_query_parameter("blockid");
  check_block_id(*id);
  return *id;
}

void stage_block(Call& c, const std::string& id, const std::string& file, uint64_t size) {
  size_t id_len = decoded_size(id);
  std::string key_sha256 = read_customer_key(c.req.headers);
  try {
    c.be.store.write([&](MetadataWriter& w) {
      require_container(w, c.ctx);
      auto blob = w.get_blob(c.ctx.account, c.ctx.container, c.ctx.blob, "", true);
      if (blob) {
        if (blob->blob_type != "BlockBlob") throw err::invalid_blob_type();
        if (!blob->committed_blocks.empty() && decoded_size(blob->committed_blocks.front().id) != id_len)
          throw err::invalid_blob_or_block();
        check_lease_access(effective_lease(blob->lease, c.ctx.now_us), c.req.headers, LeaseTarget::kBlob, true);
      }
      auto staged = w.list_blocks(c.ctx.account, c.ctx.container, c.ctx.blob);
      std::vector<std::string> doomed;
      for (const auto& b : staged) {
        if (decoded_size(b.id) != id_len) throw err::invalid_blob_or_block();
        if (b.id == id) doomed.push_back(b.file);
      }
      // A blob's staged blocks share one key, or none (the block list commits them under it).
      if (!staged.empty()) check_customer_key(staged.front().customer_key_sha256, key_sha256);
      if (staged.size() >= kMaxUncommittedBlocks && doomed.empty()) throw err::block_count_exceeds_limit();
      w.put_block(c.ctx.account, c.ctx.container, c.ctx.blob,
                  BlockRecord{id, int64_t(size), file, c.ctx.now_us, key_sha256});
      w.sync_dir_before_commit(c.be.files.dir());
      remove_files_after_commit(w, c.be, std::move(doomed));
    });
  } catch (...) {
    if (may_discard_files()) c.be.files.remove(file);
    throw;
  }
  c.res.status = 201;
  c.res.headers.set("x-ms-request-server-encrypted", "true");
  add_customer_key_header(key_sha256, c.res.headers);
}

void put_block_list(Call& c) {
  if (!c.ctx.snapshot.empty()) throw err::invalid_query_parameter_value("snapshot", c.ctx.snapshot);
  verify_body(c.req, c.res, false);
  auto entries = parse_block_list(c.req.body);
  if (entries.size() > kMaxCommittedBlocks) throw err::block_list_too_long();
  for (const auto& e : entries)
    if (!crypto::base64_decode(e.id)) throw err::invalid_block_list();
  Conditions cond = parse_conditions(c.req.headers);
  BlobTags tags = request_tags(c.req.headers);
  BlobProperties props;
  props.content_type = c.req.headers.get("x-ms-blob-content-type");
  props.content_encoding = c.req.headers.get("x-ms-blob-content-encoding");
  props.content_language = c.req.headers.get("x-ms-blob-content-language");
  props.cache_control = c.req.headers.get("x-ms-blob-cache-control");
  props.content_disposition = c.req.headers.get("x-ms-blob-content-disposition");
  props.content_md5 = c.req.headers.get("x-ms-blob-content-md5");
  Metadata meta = read_metadata(c.req.headers);
  std::string tier = read_access_tier(c.req.headers, "x-ms-access-tier");
  const std::string key_sha256 = read_customer_key(c.req.headers);  // every block listed must have it

  // Plan outside the write transaction (copying bytes there would stall every
  // other writer), then commit only if nothing we planned from changed.
  for (int attempt = 0;; ++attempt) {
    std::optional<BlobRecord> old;
    std::map<std::string, BlockRecord> staged;
    c.be.store.read([&](MetadataReader& r) {
      require_container(r, c.ctx);
      old = r.get_blob(c.ctx.account, c.ctx.container, c.ctx.blob, "", true);
      for (auto& b : r.list_blocks(c.ctx.account, c.ctx.container, c.ctx.blob)) staged[b.id] = b;
    });
    if (old && old->blob_type != "BlockBlob") throw err::invalid_blob_type();
    std::map<std::string, std::pair<uint64_t, uint64_t>> committed;  // id -> offset, size in old file
    if (old) {
      uint64_t off = 0;
      for (const auto& b : old->committed_blocks) {
        committed.emplace(b.id, std::make_pair(off, uint64_t(b.size)));
        off += uint64_t(b.size);
      }
    }
    std::vector<BlobFiles::Piece> pieces;
    std::vector<bool> from_staged;
    std::vector<BlockRef> blocks;
    uint64_t total = 0;
    for (const auto& e : entries) {
      bool use_staged = e.kind != BlockListKind::kCommitted && staged.count(e.id);
      bool use_committed = !use_staged && e.kind != BlockListKind::kUncommitted && committed.count(e.id);
      if (use_staged) {
        const auto& b = staged[e.id];
        check_customer_key(b.customer_key_sha256, key_sha256);
        pieces.push_back({b.file, 0, uint64_t(b.size)});
        from_staged.push_back(true);
        blocks.push_back({e.id, b.size});
        total += uint64_t(b.size);
      } else if (use_committed) {
        require_online(*old, c.ctx.now_us);  // an archived blob's blocks cannot be read into a new version
        check_customer_key(old->customer_key_sha256, key_sha256);
        auto [off, size] = committed[e.id];
        pieces.push_back({old->file, off, size});
        from_staged.push_back(false);
        blocks.push_back({e.id, int64_t(size)});
        total += size;
      } else {
        throw err::invalid_block_list();
      }
    }
    // Conditions and lease are checked again at commit; failing early avoids any file work.
    check_conditions(cond, bool(old), old ? old->etag : "", old ? old->last_modified_us : 0, false);
    // The new version is an extent list: no byte is copied. A staged block's file
    // is adopted as it is (the new version owns it from the commit on); a block
    // listed twice, or reused from the old version, gets a hard link so that every
    // version owns its own names (an old version stored as one file: a copy of the range).
    std::vector<BlobFiles::Extent> extents;
    std::vector<std::string> created;  // new names: removed unless committed
    std::set<std::string> adopted;     // staged files taken over by the new version
    auto discard_created = [&] {
      for (const auto& f : created) c.be.files.remove(f);
      created.clear();
    };
    try {
      for (size_t i = 0; i < pieces.size(); ++i) {
        const auto& p = pieces[i];
        if (from_staged[i] && adopted.insert(p.name).second) {
          extents.push_back({p.name, p.length});
          continue;
        }
        std::string name;
        if (from_staged[i]) {
          name = c.be.files.link(p.name);
        } else {
          auto parts = BlobFiles::locate(p.name, p.offset, p.length);
          bool whole_extent = BlobFiles::is_extent_list(p.name) && parts.size() == 1 && parts[0].offset == 0 &&
                             parts[0].name != BlobFiles::kZeros;
          name = whole_extent ? c.be.files.link(parts[0].name) : c.be.files.concat(parts);
        }
        created.push_back(name);
        extents.push_back({name, p.length});
      }
    } catch (...) {
      discard_created();
      throw;
    }
    std::string file = total > 0 ? BlobFiles::extent_list(extents) : "";
    BlobRecord out;
    bool done = commit_built_files(c, created, [&](MetadataWriter& w) {
      require_container(w, c.ctx);
      auto now_old = w.get_blob(c.ctx.account, c.ctx.container, c.ctx.blob, "");
      auto now_staged = w.list_blocks(c.ctx.account, c.ctx.container, c.ctx.blob);
      bool same = bool(now_old) == bool(old) && (!old || now_old->etag == old->etag);
      std::set<std::string> now_files;
      for (const auto& b : now_staged) now_files.insert(b.file);
      for (size_t i = 0; i < pieces.size(); ++i)
        if (from_staged[i]) same = same && now_files.count(pieces[i].name) > 0;
      if (!same) return false;
      check_conditions(cond, bool(now_old), now_old ? now_old->etag : "", now_old ? now_old->last_modified_us : 0, false);
      check_if_tags(c.req.headers, now_old ? now_old->tags : BlobTags{}, bool(now_old));
      BlobRecord b;
      make_next_version(b, now_old, c);
      b.blob_type = "BlockBlob";
      b.tags = tags;
      b.access_tier = tier;
      b.size = int64_t(total);
      b.file = file;
      b.props = props;
      b.metadata = meta;
      b.committed_blocks = blocks;
      bool kept = now_old && keep_replaced(w, c.be.versioning, *now_old, c.ctx.now_us);
      w.put_blob(b);
      std::vector<std::string> doomed;
      if (now_old && !kept && !now_old->file.empty()) doomed.push_back(now_old->file);
      for (const auto& blk : now_staged)
        if (!adopted.count(blk.file)) doomed.push_back(blk.file);
      w.delete_blocks(c.ctx.account, c.ctx.container, c.ctx.blob);
      remove_files_after_commit(w, c.be, std::move(doomed));
      if (!created.empty()) w.sync_dir_before_commit(c.be.files.dir());
      out = std::move(b);
      return true;
    });
    if (!done) {
      if (attempt >= 5) throw err::invalid_block_list();
      continue;
    }
    c.res.status = 201;
    c.res.headers.set("ETag", out.etag);
    c.res.headers.set("Last-Modified", http_date(out.last_modified_us));
    c.res.headers.set("x-ms-request-server-encrypted", "true");
    add_version_header(out.version_id, c.res.headers);
    add_customer_key_header(out.customer_key_sha256, c.res.headers);
    return;
  }
}

void get_block_list(Call& c) {
  std::string type = c.req.query_param("blocklisttype").value_or("committed");
  for (char& ch : type) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  if (type != "committed" && type != "uncommitted" && type != "all")
    throw err::invalid_query_parameter_value("blocklisttype", type);
  std::optional<BlobRecord> blob;
  std::vector<BlockRecord> staged;
  c.be.store.read([&](MetadataReader& r) {
    require_container(r, c.ctx);
    // ?snapshot= is a time (admitted by check_snapshot_and_version): soft-deleted keys are out of reach.
    blob = r.get_blob(c.ctx.account, c.ctx.container, c.ctx.blob, c.ctx.snapshot, true);
    if (c.ctx.snapshot.empty()) staged = r.list_blocks(c.ctx.account, c.ctx.container, c.ctx.blob);
  });
  if (!blob && staged.empty()) throw err::blob_not_found();
  if (blob && blob->blob_type != "BlockBlob") throw err::invalid_blob_type();
  if (blob) {
    check_conditions(parse_conditions(c.req.headers), true, blob->etag, blob->last_modified_us, true);
    check_if_tags(c.req.headers, blob->tags);
    if (blob->snapshot.empty())
      check_lease_access(effective_lease(blob->lease, c.ctx.now_us), c.req.headers, LeaseTarget::kBlob, false);
  }
  XmlWriter x;
  x.open("BlockList");
  if (type != "uncommitted") {
    x.open("CommittedBlocks");
    if (blob)
      for (const auto& b : blob->committed_blocks)
        x.open("Block").elem("Name", b.id).elem("Size", std::to_string(b.size)).close("Block");
    x.close("CommittedBlocks");
  }
  if (type != "committed") {
    x.open("UncommittedBlocks");
    for (const auto& b : staged) x.open("Block").elem("Name", b.id).elem("Size", std::to_string(b.size)).close("Block");
    x.close("UncommittedBlocks");
  }
  x.close("BlockList");
  c.res.body = x.take();
  c.res.headers.set("Content-Type", "application/xml");
  if (blob) {
    c.res.headers.set("ETag", blob->etag);
    c.res.headers.set("Last-Modified", http_date(blob->last_modified_us));
    c.res.headers.set("x-ms-blob-content-length", std::to_string(blob->size));
  }
}

void append_block(Call& c) {
  if (!c.ctx.snapshot.empty()) throw err::invalid_query_parameter_value("snapshot", c.ctx.snapshot);
  uint64_t size = body_size(c.req);
  if (size == 0) throw err::invalid_header_value("Content-Length", "0");
  if (size > max_append_block_bytes(c.req.headers)) throw err::request_body_too_large();
  std::string md5 = verify_body(c.req, c.res);
  // A body over 64 KiB arrived in a file of its own (spooled): copied from there.
  append_bytes(c, body_bytes(c.req), md5);
}

void append_bytes(Call& c, const WriteBytes& bytes, const std::string& md5) {
  const uint64_t size = bytes.size;
  const bool from_files = !bytes.pieces.empty();
  auto max_size = int_header(c.req.headers, "x-ms-blob-condition-maxsize");
  auto append_pos = int_header(c.req.headers, "x-ms-blob-condition-appendpos");
  Conditions cond = parse_conditions(c.req.headers);
  // Appends to one blob are serialized; different blobs proceed in parallel.
  auto lock = lock_blob_bytes(c.ctx);
  for (int attempt = 0;; ++attempt) {
    BlobRecord b;
    c.be.store.read([&](MetadataReader& r) { b = require_blob(r, c.ctx); });
    if (b.blob_type != "AppendBlob") throw err::invalid_blob_type();
    require_customer_key(b.customer_key_sha256, c.req.headers);
    check_conditions(cond, true, b.etag, b.last_modified_us, false);
    check_if_tags(c.req.headers, b.tags);
    if (b.sealed) throw err::blob_is_sealed();
    check_lease_access(effective_lease(b.lease, c.ctx.now_us), c.req.headers, LeaseTarget::kBlob, true);
    if (max_size && uint64_t(b.size) + size > uint64_t(*max_size)) throw err::max_blob_size_condition_not_met();
    if (append_pos && *append_pos != b.size) throw err::append_position_condition_not_met();
    if (b.append_count >= int64_t(kMaxCommittedBlocks)) throw err::block_count_exceeds_limit();
    // Bytes go past the committed length, where no reader looks, before the commit.
    std::string new_file;
    if (b.file.empty()) {
      new_file = from_files ? c.be.files.concat(bytes.pieces) : c.be.files.create(bytes.memory);
    } else if (from_files) {
      c.be.files.write_at(b.file, uint64_t(b.size), bytes.pieces);
    } else {
      c.be.files.write_at(b.file, uint64_t(b.size), bytes.memory);
    }
    BlobRecord out;
    std::vector<std::string> created;
    if (!new_file.empty()) created.push_back(new_file);
    bool committed = commit_built_files(c, created, [&](MetadataWriter& w) {
      BlobRecord now = require_blob(w, c.ctx);
      if (now.etag != b.etag) return false;
      now.size += int64_t(size);
      now.append_count += 1;
      if (!new_file.empty()) {
        now.file = new_file;
        w.sync_dir_before_commit(c.be.files.dir());
      }
      now.etag = new_etag();
      now.last_modified_us = c.ctx.now_us;
      w.put_blob(now);
      out = std::move(now);
      return true;
    });
    if (!committed) {
      if (attempt >= 5) throw err::condition_not_met();
      continue;
    }
    c.res.status = 201;
    c.res.headers.set("ETag", out.etag);
    c.res.headers.set("Last-Modified", http_date(out.last_modified_us));
    if (!md5.empty()) c.res.headers.set("Content-MD5", md5);
    c.res.headers.set("x-ms-blob-append-offset", std::to_string(b.size));
    c.res.headers.set("x-ms-blob-committed-block-count", std::to_string(out.append_count));
    c.res.headers.set("x-ms-request-server-encrypted", "true");
    add_customer_key_header(out.customer_key_sha256, c.res.headers);
    return;
  }
}

void seal_append_blob(Call& c) {
  if (!c.ctx.snapshot.empty()) throw err::invalid_query_parameter_value("snapshot", c.ctx.snapshot);
  Conditions cond = parse_conditions(c.req.headers);
  auto append_pos = int_header(c.req.headers, "x-ms-blob-condition-appendpos");
  BlobRecord out;
  c.be.store.write([&](MetadataWriter& w) {
    BlobRecord b = require_blob(w, c.ctx);
    if (b.blob_type != "AppendBlob") throw err::invalid_blob_type();
    check_conditions(cond, true, b.etag, b.last_modified_us, false);
    check_if_tags(c.req.headers, b.tags);
    check_lease_access(effective_lease(b.lease, c.ctx.now_us), c.req.headers, LeaseTarget::kBlob, true);
    if (append_pos && *append_pos != b.size) throw err::append_position_condition_not_met();
    if (!b.sealed) {  // sealing a sealed blob again changes nothing
      b.sealed = true;
      b.etag = new_etag();
      b.last_modified_us = c.ctx.now_us;
      w.put_blob(b);
    }
    out = std::move(b);
  });
  c.res.headers.set("ETag", out.etag);
  c.res.headers.set("Last-Modified", http_date(out.last_modified_us));
  c.res.headers.set("x-ms-blob-sealed", "true");
}

}  // namespace kiln::blob
