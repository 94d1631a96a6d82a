// Service-level operations: service properties, stats, account information,
// List Containers and Get User Delegation Key.
#include <algorithm>

#include "blob/container_soft_delete.h"
#include "blob/handlers.h"
#include "blob/lease.h"
#include "blob/listing.h"
#include "blob/oauth.h"
#include "blob/response_util.h"
#include "blob/soft_delete.h"
#include "blob/xml_parse.h"
#include "blob/xml_util.h"
#include "core/time_format.h"

namespace kiln::blob {

void get_service_properties(Call& c) {
  std::optional<std::string> stored;
  c.be.store.read([&](MetadataReader& r) { stored = r.get_service_properties(c.ctx.account); });
  ServiceProperties p;
  if (stored) p = parse_service_properties(*stored);
  c.res.body = serialize_service_properties(p);
  c.res.headers.set("Content-Type", "application/xml");
}

void set_service_properties(Call& c) {
  ServiceProperties update = parse_service_properties(c.req.body);
  c.be.store.write([&](MetadataWriter& w) {
    ServiceProperties base;
    if (auto stored = w.get_service_properties(c.ctx.account)) base = parse_service_properties(*stored);
    w.put_service_properties(c.ctx.account, serialize_service_properties(merge_service_properties(base, update)));
  });
  c.res.status = 202;
}

void get_service_stats(Call& c) {
  // One machine: the "secondary" is the same data, always in sync.
  XmlWriter x;
  x.open("StorageServiceStats").open("GeoReplication").elem("Status", "live")
      .elem("LastSyncTime", timefmt::rfc1123(timefmt::now())).close("GeoReplication").close("StorageServiceStats");
  c.res.body = x.take();
  c.res.headers.set("Content-Type", "application/xml");
}

void get_account_info(Call& c) {
  c.res.headers.set("x-ms-sku-name", "Standard_RAGRS");
  c.res.headers.set("x-ms-account-kind", "StorageV2");
  c.res.headers.set("x-ms-is-hns-enabled", "false");
}

void list_containers(Call& c) {
  std::string prefix = c.req.query_param("prefix").value_or("");
  std::string marker = c.req.query_param("marker").value_or("");
  std::string include = c.req.query_param("include").value_or("");
  bool with_meta = false, with_deleted = false;
  size_t pos = 0;
  while (pos < include.size()) {
    size_t comma = include.find(',', pos);
    std::string item = include.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? include.size() : comma + 1;
    if (item == "metadata") with_meta = true;
    else if (item == "deleted") with_deleted = true;
    else if (item != "system" && !item.empty())
      throw err::invalid_query_parameter_value("include", include);
  }
  size_t max = read_max_results(c.req);
  std::string start = decode_marker(marker).first;
  std::vector<ContainerRecord> list;
  c.be.store.read([&](MetadataReader& r) {
    // With deleted ones, the live container of the marker's name may be dropped below: one more.
    list = r.list_containers(c.ctx.account, prefix, start.substr(0, start.find('\x1f')), max + (with_deleted ? 2 : 1));
    if (!with_deleted) return;
    // Live and soft-deleted containers in one order (container_soft_delete.h), from the marker's key on.
    std::erase_if(list, [&](const ContainerRecord& ct) { return list_key(ct) < start; });
    auto deleted = list_deleted_containers(r, c.ctx.account, prefix, start, max + 1);
    list.insert(list.end(), deleted.begin(), deleted.end());
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return list_key(a) < list_key(b); });
  });
  std::string next;
  if (list.size() > max) {
    next = encode_marker(with_deleted ? list_key(list[max]) : list[max].name);
    list.resize(max);
  }
  XmlWriter x;
  x.raw("<EnumerationResults ServiceEndpoint=\"" + xml_escape(service_endpoint(c.req, c.ctx)) + "\">");
  if (c.req.has_query("prefix")) x.elem("Prefix", prefix);
  if (c.req.has_query("marker")) x.elem("Marker", marker);
  if (c.req.has_query("maxresults")) x.elem("MaxResults", std::to_string(max));
  x.open("Containers");
  for (const auto& ct : list) {
    LeaseRecord l = effective_lease(ct.lease, c.ctx.now_us);
    x.open("Container").elem("Name", ct.name);
    if (ct.deleted_us) x.elem("Deleted", "true").elem("Version", ct.version);
    x.open("Properties")
        .elem("Last-Modified", http_date(ct.last_modified_us))
        .elem("Etag", ct.etag)
        .elem("LeaseStatus", lease_active(l) ? "locked" : "unlocked")
        .elem("LeaseState", l.state);
    if (l.state == "leased") x.elem("LeaseDuration", l.duration < 0 ? "infinite" : "fixed");
    if (!ct.public_access.empty()) x.elem("PublicAccess", ct.public_access);
    x.elem("DefaultEncryptionScope", "$account-encryption-key")
        .elem("DenyEncryptionScopeOverride", "false")
        .elem("HasImmutabilityPolicy", "false")
        .elem("HasLegalHold", "false");
    if (c.be.immutability) x.elem("ImmutableStorageWithVersioningEnabled", "true");
    if (ct.deleted_us) {
      x.elem("DeletedTime", http_date(ct.deleted_us))
          .elem("RemainingRetentionDays",
                std::to_string(remaining_retention_days(ct.deleted_us, ct.retention_days, c.ctx.now_us)));
    }
    x.close("Properties");
    if (with_meta) {
      x.open("Metadata");
      for (const auto& [k, v] : ct.metadata) x.elem(k, v);
      x.close("Metadata");
    }
    x.close("Container");
  }
  x.close("Containers").elem("NextMarker", next).close("EnumerationResults");
  c.res.body = x.take();
  c.res.headers.set("Content-Type", "application/xml");
}

// A key for user delegation SAS (bearer callers only), valid from
// Start to Expiry, at most 7 days from now as on Azure.
void get_user_delegation_key(Call& c) {
  if (!c.ctx.bearer) throw err::authentication_failed("Only a bearer token (OAuth) may ask for a user delegation key.");
  KeyInfo info = parse_key_info(c.req.body);
  int64_t start = timefmt::to_micros(*timefmt::parse_iso8601(info.start));
  int64_t expiry = timefmt::to_micros(*timefmt::parse_iso8601(info.expiry));
  constexpr int64_t kSevenDaysUs = 7LL * 24 * 3600 * 1000000;
  if (expiry <= start || expiry > c.ctx.now_us + kSevenDaysUs) throw err::invalid_xml_node_value("Expiry", info.expiry);
  UserDelegationKeyFields k{c.ctx.bearer->oid, c.ctx.bearer->tid, info.start, info.expiry, "b", kApiVersion};
  XmlWriter x;
  x.open("UserDelegationKey").elem("SignedOid", k.oid).elem("SignedTid", k.tid).elem("SignedStart", k.start)
      .elem("SignedExpiry", k.expiry).elem("SignedService", k.service).elem("SignedVersion", k.version)
      .elem("Value", user_delegation_key_value(c.ctx.acct->keys.front(), k)).close("UserDelegationKey");
  c.res.body = x.take();
  c.res.headers.set("Content-Type", "application/xml");
}

}  // namespace kiln::blob
