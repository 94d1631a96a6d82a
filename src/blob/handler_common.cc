#include "blob/handler_common.h"

#include "blob/spooled_body.h"

#include <unistd.h>

#include <algorithm>
#include <array>

#include "blob/conditions.h"
#include "blob/customer_key.h"
#include "blob/immutability.h"
#include "blob/lease.h"
#include "blob/response_util.h"
#include "blob/soft_delete.h"
#include "blob/tags.h"
#include "blob/versions.h"
#include "core/crypto.h"
#include "core/file_util.h"

namespace kiln::blob {

ContainerRecord require_container(MetadataReader& r, const RequestContext& ctx) {
  auto c = r.get_container(ctx.account, ctx.container);
  if (!c) throw err::container_not_found();
  return std::move(*c);
}

BlobRecord require_blob(MetadataReader& r, const RequestContext& ctx, bool with_blocks) {
  if (!r.get_container(ctx.account, ctx.container)) throw err::container_not_found();
  auto b = ctx.version_id.empty() ? r.get_blob(ctx.account, ctx.container, ctx.blob, ctx.snapshot, with_blocks)
                                  : get_version(r, ctx, with_blocks);
  if (!b) throw err::blob_not_found();
  return std::move(*b);
}

BlobRecord read_blob_checked(Call& c, bool not_modified_304) {
  BlobRecord b;
  c.be.store.read([&](MetadataReader& r) { b = require_blob(r, c.ctx); });
  check_conditions(parse_conditions(c.req.headers), true, b.etag, b.last_modified_us, not_modified_304);
  check_if_tags(c.req.headers, b.tags);
  if (b.snapshot.empty()) check_lease_access(effective_lease(b.lease, c.ctx.now_us), c.req.headers, LeaseTarget::kBlob, false);
  return b;
}

OpenBlob read_and_open_blob(Call& c, const std::function<BlobRecord()>& read,
                            const std::function<std::pair<uint64_t, uint64_t>(const BlobRecord&)>& bytes) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    OpenBlob out{read(), {}};
    auto [start, length] = out.record.file.empty() ? std::pair<uint64_t, uint64_t>{0, 0} : bytes(out.record);
    bool opened = true;
    if (length > 0) {
      for (const auto& p : BlobFiles::locate(out.record.file, start, length)) {
        if (out.fds.count(p.name)) continue;
        int fd = c.be.files.open(p.name);
        if (fd < 0) {
          opened = false;
          break;
        }
        out.fds[p.name] = http::FileBody::adopt(fd);
      }
    }
    if (opened) return out;
  }
  throw err::internal_error();
}

namespace {

// A call finished on a store thread: it owns what the request's thread lent.
struct DeferredCall {
  DeferredCall(Call& c) : req(std::move(c.req)), ctx(c.ctx), res(std::move(c.res)), call{req, ctx, res, c.be} {}
  http::Request req;
  RequestContext ctx;
  http::Response res;
  Call call;
};

}  // namespace

void commit_then_respond(Call& c, Commit commit, std::function<void(Call&)> respond) {
  if (!c.may_defer) {
    c.be.store.write([&](MetadataWriter& w) { commit(w, c); });
    respond(c);
    return;
  }
  auto d = std::make_shared<DeferredCall>(c);
  c.res = http::Response{};
  c.res.defer = [d, commit = std::move(commit), respond = std::move(respond)](http::Responder send) mutable {
    d->call.be.store.write_then(
        [d, commit = std::move(commit)](MetadataWriter& w) { commit(w, d->call); },
        [d, respond = std::move(respond), send = std::move(send)](std::exception_ptr error) {
          if (!error) {
            try {
              respond(d->call);
            } catch (...) {
              error = std::current_exception();
            }
          }
          finish_call(d->call, error);
          send(std::move(d->res));
        });
  };
}

bool may_discard_files() {
  try {
    throw;
  } catch (const NotDurable&) {
    return false;
  } catch (...) {
    return true;
  }
}

uint64_t max_append_block_bytes(const http::Headers& request_headers) {
  // Versions are ISO dates, so they compare as strings.
  const std::string* version = request_headers.find("x-ms-version");
  return version && *version >= "2022-11-02" ? 100ull << 20 : 4ull << 20;
}

uint64_t body_size(const http::Request& req) {
  const SpooledBody* spooled = SpooledBody::of(req);
  return spooled ? spooled->size() : req.body.size();
}

std::string verify_body(const http::Request& req, http::Response& res, bool always_md5) {
  // A spooled body was hashed as it arrived, for what this request needs.
  const SpooledBody* spooled = SpooledBody::of(req);
  const auto* sent_md5 = req.headers.find("content-md5");
  std::string md5;
  // MD5 of a large body is costly; skip it when nobody needs the result.
  if (always_md5 || sent_md5)
    md5 = crypto::base64_encode(spooled && spooled->has_md5() ? spooled->md5() : crypto::md5(req.body));
  if (const auto* sent = sent_md5) {
    auto raw = crypto::base64_decode(*sent);
    if (!raw || raw->size() != 16) throw err::invalid_md5();
    if (*sent != md5) throw err::md5_mismatch(*sent, md5);
  }
  if (const auto* sent = req.headers.find("x-ms-content-crc64")) {
    auto raw = crypto::base64_decode(*sent);
    if (!raw || raw->size() != 8) throw err::invalid_header_value("x-ms-content-crc64", *sent);
    uint64_t crc = spooled && spooled->has_crc64() ? spooled->crc64() : crypto::crc64(req.body);
    std::string mine = crypto::base64_encode(crypto::crc64_bytes(crc));
    if (mine != *sent) throw err::crc64_mismatch(*sent, mine);
    res.headers.set("x-ms-content-crc64", mine);
  }
  return md5;
}

std::string take_body_file(Call& c) {
  if (SpooledBody* spooled = SpooledBody::of(c.req)) return spooled->take_file();
  return c.be.files.create(c.req.body);
}

WriteBytes WriteBytes::slice(uint64_t offset, uint64_t length) const {
  WriteBytes out{length, {}, {}};
  if (pieces.empty()) {
    out.memory = memory.substr(size_t(offset), size_t(length));
    return out;
  }
  for (const auto& p : pieces) {
    if (length == 0) break;
    if (offset >= p.length) {
      offset -= p.length;
      continue;
    }
    uint64_t n = std::min(length, p.length - offset);
    out.pieces.push_back({p.name, p.offset + offset, n});
    offset = 0;
    length -= n;
  }
  return out;
}

bool commit_built_files(Call& c, const std::vector<std::string>& created,
                        const std::function<bool(MetadataWriter&)>& commit) {
  bool committed = false;
  try {
    c.be.store.write([&](MetadataWriter& w) { committed = commit(w); });
  } catch (...) {
    if (may_discard_files())
      for (const auto& f : created) c.be.files.remove(f);
    throw;
  }
  if (!committed)
    for (const auto& f : created) c.be.files.remove(f);
  return committed;
}

namespace {

std::array<std::mutex, 64> byte_stripes;

size_t stripe_of(const RequestContext& ctx, uint64_t part) {
  std::string key = ctx.account + "/" + ctx.container + "/" + ctx.blob + "/" + std::to_string(part);
  return std::hash<std::string>{}(key) % byte_stripes.size();
}

}  // namespace

std::unique_lock<std::mutex> lock_blob_bytes(const RequestContext& ctx, uint64_t part) {
  return std::unique_lock<std::mutex>(byte_stripes[stripe_of(ctx, part)]);
}

std::vector<std::unique_lock<std::mutex>> lock_blob_parts(const RequestContext& ctx, std::vector<uint64_t> parts) {
  std::vector<size_t> stripes;
  for (uint64_t p : parts) stripes.push_back(stripe_of(ctx, p));
  std::sort(stripes.begin(), stripes.end());  // one order for every caller: no deadlock
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  std::vector<std::unique_lock<std::mutex>> locks;
  for (size_t s : stripes) locks.emplace_back(byte_stripes[s]);
  return locks;
}

WriteBytes body_bytes(const http::Request& req) {
  WriteBytes bytes{body_size(req), {}, req.body};
  if (const SpooledBody* body = SpooledBody::of(req)) bytes.pieces.push_back(body->bytes());
  return bytes;
}

std::optional<int64_t> int_header(const http::Headers& h, const std::string& name) {
  const std::string* v = h.find(name);
  if (!v) return std::nullopt;
  if (v->empty() || v->size() > 18 || v->find_first_not_of("0123456789") != std::string::npos)
    throw err::invalid_header_value(name, *v);
  return std::stoll(*v);
}

std::string read_blob_bytes(const Backend& be, const BlobRecord& b, uint64_t offset, uint64_t length) {
  if (b.file.empty()) return b.inline_data.substr(size_t(offset), size_t(length));
  std::string out(size_t(length), '\0');
  size_t done = 0;
  for (const auto& p : BlobFiles::locate(b.file, offset, length)) {
    int fd = be.files.open(p.name);
    if (fd < 0) throw err::internal_error();
    try {
      fs::pread_all(fd, out.data() + done, size_t(p.length), p.offset);
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
    done += size_t(p.length);
  }
  return out;
}

void remove_files_after_commit(MetadataWriter& w, const Backend& be, std::vector<std::string> files) {
  if (files.empty()) return;
  BlobFiles* f = &be.files;
  w.after_commit([f, files = std::move(files)] {
    for (const auto& name : files) f->remove(name);
  });
}

void make_next_version(BlobRecord& b, const std::optional<BlobRecord>& old, const Call& c) {
  if (old) {
    check_lease_access(effective_lease(old->lease, c.ctx.now_us), c.req.headers, LeaseTarget::kBlob, true);
    b.lease = old->lease;
    b.created_us = old->created_us;
  } else {
    check_lease_access(LeaseRecord{}, c.req.headers, LeaseTarget::kBlob, true);
    b.created_us = c.ctx.now_us;
  }
  b.account = c.ctx.account;
  b.container = c.ctx.container;
  b.name = c.ctx.blob;
  b.etag = new_etag();
  b.last_modified_us = c.ctx.now_us;
  b.version_id = c.be.versioning ? next_version_id(old, c.ctx.now_us) : "";
  ImmutabilitySettings immutability = read_immutability_headers(c.req.headers, c.ctx.now_us);
  if (immutability.any() && !c.be.immutability) throw err::immutability_not_enabled();
  start_immutability(b, immutability);
  b.customer_key_sha256 = read_customer_key(c.req.headers);
}

}  // namespace kiln::blob
