// Service-level operations: service properties, stats, account information
// and List Containers.
#include "blob/handlers.h"
#include "blob/lease.h"
#include "blob/listing.h"
#include "blob/response_util.h"
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
  bool with_meta = false;
  size_t pos = 0;
  while (pos < include.size()) {
    size_t comma = include.find(',', pos);
    std::string item = include.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? include.size() : comma + 1;
    if (item == "metadata") with_meta = true;
    else if (item != "deleted" && item != "system" && !item.empty())
      throw err::invalid_query_parameter_value("include", include);
  }
  size_t max = read_max_results(c.req);
  std::string start = decode_marker(marker).first;
  std::vector<ContainerRecord> list;
  c.be.store.read([&](MetadataReader& r) { list = r.list_containers(c.ctx.account, prefix, start, max + 1); });
  std::string next;
  if (list.size() > max) {
    next = encode_marker(list[max].name);
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
    x.open("Container").elem("Name", ct.name).open("Properties")
        .elem("Last-Modified", http_date(ct.last_modified_us))
        .elem("Etag", ct.etag)
        .elem("LeaseStatus", lease_active(l) ? "locked" : "unlocked")
        .elem("LeaseState", l.state);
    if (l.state == "leased") x.elem("LeaseDuration", l.duration < 0 ? "infinite" : "fixed");
    if (!ct.public_access.empty()) x.elem("PublicAccess", ct.public_access);
    x.elem("DefaultEncryptionScope", "$account-encryption-key")
        .elem("DenyEncryptionScopeOverride", "false")
        .elem("HasImmutabilityPolicy", "false")
        .elem("HasLegalHold", "false")
        .close("Properties");
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

}  // namespace kiln::blob
