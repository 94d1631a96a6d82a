// Container operations: create, delete, properties, metadata, ACL, lease.
#include "blob/conditions.h"
#include "blob/container_soft_delete.h"
#include "blob/handlers.h"
#include "blob/lease.h"
#include "blob/names.h"
#include "blob/response_util.h"
#include "blob/xml_parse.h"
#include "blob/xml_util.h"
#include "core/time_format.h"

namespace kiln::blob {
namespace {

std::string read_public_access(const http::Headers& h) {
  std::string v = h.get("x-ms-blob-public-access");
  if (!v.empty() && v != "blob" && v != "container") throw err::invalid_header_value("x-ms-blob-public-access", v);
  return v;
}

// Containers honour only the date conditions (If-Match on containers is refused by Azure).
void check_container_conditions(const http::Headers& h, const ContainerRecord& c, bool allow_etag) {
  Conditions cond = parse_conditions(h);
  if (!allow_etag && (cond.if_match || cond.if_none_match)) {
    throw err::unsupported_header(cond.if_match ? "If-Match" : "If-None-Match");
  }
  check_conditions(cond, true, c.etag, c.last_modified_us, false);
}

// Any blob, snapshot or version, also soft-deleted ones: what keeps a container
// with version-level immutability support from being deleted.
bool holds_any_blob(MetadataReader& r, const ContainerRecord& rec) {
  ListBlobsQuery q;
  q.include_snapshots = q.include_versions = q.include_deleted = true;
  q.limit = 1;
  return !r.list_blobs(rec.account, rec.name, q).empty();
}

}  // namespace

void create_container(Call& c) {
  Metadata meta = read_metadata(c.req.headers);
  std::string access = read_public_access(c.req.headers);
  ContainerRecord rec;
  rec.account = c.ctx.account;
  rec.name = c.ctx.container;
  rec.metadata = meta;
  rec.public_access = access;
  rec.etag = new_etag();
  rec.created_us = rec.last_modified_us = c.ctx.now_us;
  c.be.store.write([&](MetadataWriter& w) {
    if (w.get_container(rec.account, rec.name)) throw err::container_already_exists();
    w.put_container(rec);
  });
  c.res.status = 201;
  c.res.headers.set("ETag", rec.etag);
  c.res.headers.set("Last-Modified", http_date(rec.last_modified_us));
}

void delete_container(Call& c) {
  std::vector<std::string> files;
  c.be.store.write([&](MetadataWriter& w) {
    ContainerRecord rec = require_container(w, c.ctx);
    check_container_conditions(c.req.headers, rec, false);
    check_lease_access(effective_lease(rec.lease, c.ctx.now_us), c.req.headers, LeaseTarget::kContainer, true);
    if (c.be.immutability && holds_any_blob(w, rec)) throw err::container_immutable_storage_with_versioning_enabled();
    if (c.be.container_soft_delete_days > 0) {
      soft_delete_container(w, rec, c.ctx.now_us, c.be.container_soft_delete_days);
    } else {
      remove_files_after_commit(w, c.be, w.delete_container(rec.account, rec.name));
    }
  });
  c.res.status = 202;
}

// Restore Container: the deleted container named by x-ms-deleted-container-name
// and -version comes back under the name in the URL (which must be its own).
void restore_container(Call& c) {
  const std::string* name = c.req.headers.find("x-ms-deleted-container-name");
  const std::string* version = c.req.headers.find("x-ms-deleted-container-version");
  if (!name) throw err::missing_required_header("x-ms-deleted-container-name");
  if (!version) throw err::missing_required_header("x-ms-deleted-container-version");
  if (*name != c.ctx.container) throw err::invalid_header_value("x-ms-deleted-container-name", *name);
  ContainerRecord rec;
  c.be.store.write([&](MetadataWriter& w) { rec = restore_deleted_container(w, c.ctx.account, *name, *version); });
  c.res.status = 201;
  c.res.headers.set("ETag", rec.etag);
  c.res.headers.set("Last-Modified", http_date(rec.last_modified_us));
}

// Rename Container: the container named by x-ms-source-container-name, with its
// blobs and staged blocks, takes the name in the URL (one store operation, no
// file touched). x-ms-source-lease-id, when sent, must be the source's lease;
// a leased source needs it.
void rename_container(Call& c) {
  const std::string* source = c.req.headers.find("x-ms-source-container-name");
  if (!source) throw err::missing_required_header("x-ms-source-container-name");
  check_container_name(*source);
  http::Headers lease;  // the source's lease id, as Lease Blob / Container checks read it
  if (const std::string* id = c.req.headers.find("x-ms-source-lease-id")) lease.set("x-ms-lease-id", *id);
  c.be.store.write([&](MetadataWriter& w) {
    auto from = w.get_container(c.ctx.account, *source);
    if (!from) throw err::container_not_found();
    check_lease_access(effective_lease(from->lease, c.ctx.now_us), lease, LeaseTarget::kContainer, true);
    if (w.get_container(c.ctx.account, c.ctx.container)) throw err::container_already_exists();
    w.move_container(c.ctx.account, *source, c.ctx.account, c.ctx.container);
  });
}

void get_container_properties(Call& c) {
  ContainerRecord rec;
  c.be.store.read([&](MetadataReader& r) { rec = require_container(r, c.ctx); });
  check_lease_access(effective_lease(rec.lease, c.ctx.now_us), c.req.headers, LeaseTarget::kContainer, false);
  add_container_headers(rec, c.ctx.now_us, c.res);
  if (c.be.immutability) c.res.headers.set("x-ms-immutable-storage-with-versioning-enabled", "true");
}

void set_container_metadata(Call& c) {
  Metadata meta = read_metadata(c.req.headers);
  Conditions cond = parse_conditions(c.req.headers);
  if (cond.if_match || cond.if_none_match || cond.if_unmodified_since_us) {
    throw err::unsupported_header(cond.if_match ? "If-Match" : cond.if_none_match ? "If-None-Match" : "If-Unmodified-Since");
  }
  ContainerRecord rec;
  c.be.store.write([&](MetadataWriter& w) {
    rec = require_container(w, c.ctx);
    check_conditions(cond, true, rec.etag, rec.last_modified_us, false);
    check_lease_access(effective_lease(rec.lease, c.ctx.now_us), c.req.headers, LeaseTarget::kContainer, false);
    rec.metadata = meta;
    rec.etag = new_etag();
    rec.last_modified_us = c.ctx.now_us;
    w.put_container(rec);
  });
  c.res.headers.set("ETag", rec.etag);
  c.res.headers.set("Last-Modified", http_date(rec.last_modified_us));
}

void get_container_acl(Call& c) {
  ContainerRecord rec;
  c.be.store.read([&](MetadataReader& r) { rec = require_container(r, c.ctx); });
  check_lease_access(effective_lease(rec.lease, c.ctx.now_us), c.req.headers, LeaseTarget::kContainer, false);
  XmlWriter x;
  x.open("SignedIdentifiers");
  for (const auto& p : rec.policies) {
    x.open("SignedIdentifier").elem("Id", p.id).open("AccessPolicy");
    // Azure answers with the times it stored, in its own form (seven fractional digits).
    auto azure_time = [](const std::string& t) {
      auto parsed = timefmt::parse_iso8601(t);
      return parsed ? timefmt::iso8601(*parsed, 7) : t;
    };
    if (!p.start.empty()) x.elem("Start", azure_time(p.start));
    if (!p.expiry.empty()) x.elem("Expiry", azure_time(p.expiry));
    if (!p.permission.empty()) x.elem("Permission", p.permission);
    x.close("AccessPolicy").close("SignedIdentifier");
  }
  x.close("SignedIdentifiers");
  c.res.body = x.take();
  c.res.headers.set("Content-Type", "application/xml");
  c.res.headers.set("ETag", rec.etag);
  c.res.headers.set("Last-Modified", http_date(rec.last_modified_us));
  if (!rec.public_access.empty()) c.res.headers.set("x-ms-blob-public-access", rec.public_access);
}

void set_container_acl(Call& c) {
  std::string access = read_public_access(c.req.headers);
  auto policies = parse_signed_identifiers(c.req.body);
  ContainerRecord rec;
  c.be.store.write([&](MetadataWriter& w) {
    rec = require_container(w, c.ctx);
    check_container_conditions(c.req.headers, rec, false);
    check_lease_access(effective_lease(rec.lease, c.ctx.now_us), c.req.headers, LeaseTarget::kContainer, false);
    rec.public_access = access;
    rec.policies = policies;
    rec.etag = new_etag();
    rec.last_modified_us = c.ctx.now_us;
    w.put_container(rec);
  });
  c.res.headers.set("ETag", rec.etag);
  c.res.headers.set("Last-Modified", http_date(rec.last_modified_us));
}

void lease_container(Call& c) {
  ContainerRecord rec;
  c.be.store.write([&](MetadataWriter& w) {
    rec = require_container(w, c.ctx);
    check_container_conditions(c.req.headers, rec, false);
    apply_lease_action(rec.lease, c.req, c.ctx.now_us, c.res);
    w.put_container(rec);
  });
  c.res.headers.set("ETag", rec.etag);
  c.res.headers.set("Last-Modified", http_date(rec.last_modified_us));
}

}  // namespace kiln::blob
