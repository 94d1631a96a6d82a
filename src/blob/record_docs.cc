#include "blob/record_docs.h"

#include <nlohmann/json.hpp>

#include "blob/blob_doc.h"

namespace kiln::blob {

using nlohmann::json;

namespace {

json lease_json(const LeaseRecord& l) {
  return {{"state", l.state}, {"id", l.id}, {"duration", l.duration}, {"expires", l.expires_us}};
}
LeaseRecord lease_from(const json& j) {
  LeaseRecord l;
  if (!j.is_object()) return l;
  l.state = j.value("state", "available");
  l.id = j.value("id", "");
  l.duration = j.value("duration", int64_t(0));
  l.expires_us = j.value("expires", int64_t(0));
  return l;
}
json meta_json(const Metadata& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}
Metadata meta_from(const json& j) {
  Metadata m;
  if (j.is_object())
    for (auto it = j.begin(); it != j.end(); ++it) m[it.key()] = it.value().get<std::string>();
  return m;
}

}  // namespace

std::string container_doc(const ContainerRecord& c) {
  json pol = json::array();
  for (const auto& p : c.policies)
    pol.push_back({{"id", p.id}, {"start", p.start}, {"expiry", p.expiry}, {"permission", p.permission}});
  json j = {{"meta", meta_json(c.metadata)}, {"etag", c.etag}, {"mtime", c.last_modified_us},
            {"ctime", c.created_us}, {"public", c.public_access}, {"policies", pol},
            {"lease", lease_json(c.lease)}};
  if (c.deleted_us) {
    j["deleted"] = c.deleted_us;
    j["retain"] = c.retention_days;
    j["version"] = c.version;
  }
  return j.dump();
}
ContainerRecord container_from(const std::string& account, const std::string& name, const std::string& doc) {
  ContainerRecord c;
  c.account = account;
  c.name = name;
  json j = json::parse(doc);
  c.metadata = meta_from(j["meta"]);
  c.etag = j.value("etag", "");
  c.last_modified_us = j.value("mtime", int64_t(0));
  c.created_us = j.value("ctime", int64_t(0));
  c.public_access = j.value("public", "");
  for (const auto& p : j["policies"])
    c.policies.push_back({p.value("id", ""), p.value("start", ""), p.value("expiry", ""), p.value("permission", "")});
  c.lease = lease_from(j["lease"]);
  c.deleted_us = j.value("deleted", int64_t(0));
  c.retention_days = j.value("retain", int64_t(0));
  c.version = j.value("version", "");
  return c;
}

void blob_fill(BlobRecord& b, const std::string& doc) {
  // Documents are written by write_blob_doc; the general parser is the
  // fallback for anything the fast reader does not take.
  if (read_blob_doc(doc, b)) return;
  json j = json::parse(doc);
  b.blob_type = j.value("type", "BlockBlob");
  b.size = j.value("size", int64_t(0));
  b.etag = j.value("etag", "");
  b.last_modified_us = j.value("mtime", int64_t(0));
  b.created_us = j.value("ctime", int64_t(0));
  b.props.content_type = j.value("ct", "");
  b.props.content_encoding = j.value("ce", "");
  b.props.content_language = j.value("cl", "");
  b.props.content_md5 = j.value("md5", "");
  b.props.cache_control = j.value("cc", "");
  b.props.content_disposition = j.value("cd", "");
  b.metadata = meta_from(j["meta"]);
  b.lease = lease_from(j["lease"]);
  b.append_count = j.value("appends", int64_t(0));
  b.sealed = j.value("sealed", int64_t(0)) != 0;
  b.deleted_us = j.value("deleted", int64_t(0));
  b.retention_days = j.value("retain", int64_t(0));
  b.access_tier = j.value("tier", "");
  b.tier_changed_us = j.value("tchg", int64_t(0));
  b.rehydrate_tier = j.value("rhtier", "");
  b.rehydrate_priority = j.value("rhprio", "");
  b.rehydrate_done_us = j.value("rhdone", int64_t(0));
  b.version_id = j.value("vid", "");
  b.immutable_until_us = j.value("wormu", int64_t(0));
  b.immutability_mode = j.value("wormm", "");
  b.legal_hold = j.value("hold", int64_t(0)) != 0;
  b.customer_key_sha256 = j.value("cpk", "");
  b.page_ranges = j.value("pages", "");
  b.sequence_number = j.value("seq", int64_t(0));
  b.incremental_copy = j.value("incr", int64_t(0)) != 0;
  b.incremental_source_snapshot = j.value("isrc", "");
  b.copy_destination_snapshot = j.value("cdst", "");
  b.tags.clear();
  if (j.contains("tags") && j["tags"].is_object())
    for (auto it = j["tags"].begin(); it != j["tags"].end(); ++it) b.tags[it.key()] = it.value().get<std::string>();
  if (j.contains("copy")) {
    const auto& c = j["copy"];
    b.copy_id = c.value("id", "");
    b.copy_source = c.value("source", "");
    b.copy_status = c.value("status", "");
    b.copy_progress = c.value("progress", "");
    b.copy_completion_us = c.value("done", int64_t(0));
  }
}
std::string blocks_doc(const std::vector<BlockRef>& blocks) {
  json j = json::array();
  for (const auto& b : blocks) j.push_back({b.id, b.size});
  return j.dump();
}
std::vector<BlockRef> blocks_from(const std::string& doc) {
  std::vector<BlockRef> out;
  if (doc.empty()) return out;
  for (const auto& e : json::parse(doc)) out.push_back({e[0].get<std::string>(), e[1].get<int64_t>()});
  return out;
}


}  // namespace kiln::blob
