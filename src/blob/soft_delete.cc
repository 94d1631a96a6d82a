#include "blob/soft_delete.h"

#include <pugixml.hpp>

#include "blob/xml_parse.h"
#include "core/time_format.h"

namespace kiln::blob {

bool is_deleted_snapshot(const std::string& snapshot) { return snapshot.rfind("~d", 0) == 0; }

std::string deleted_snapshot(int64_t deleted_us, const std::string& snapshot) {
  return "~d" + timefmt::iso8601(timefmt::from_micros(deleted_us), 7) + "|" + snapshot;
}

std::string original_snapshot(const std::string& deleted) {
  size_t bar = deleted.find('|');
  return bar == std::string::npos ? "" : deleted.substr(bar + 1);
}

int64_t delete_retention_days(MetadataReader& r, const std::string& account) {
  auto stored = r.get_service_properties(account);
  if (!stored) return 0;
  std::string xml = parse_service_properties(*stored).delete_retention_policy;
  pugi::xml_document doc;
  if (xml.empty() || !doc.load_buffer(xml.data(), xml.size())) return 0;
  pugi::xml_node policy = doc.child("DeleteRetentionPolicy");
  if (std::string(policy.child_value("Enabled")) != "true") return 0;
  return policy.child("Days").text().as_llong(0);
}

bool keep_overwritten(MetadataWriter& w, const BlobRecord& old, int64_t now_us) {
  int64_t days = delete_retention_days(w, old.account);
  if (days <= 0) return false;
  BlobRecord kept = *w.get_blob(old.account, old.container, old.name, "", true);  // whole: bytes, block list
  kept.snapshot = deleted_snapshot(now_us, timefmt::iso8601(timefmt::from_micros(now_us), 7));
  kept.deleted_us = now_us;
  kept.retention_days = days;
  kept.lease = LeaseRecord{};
  w.put_blob(kept);
  return true;
}

}  // namespace kiln::blob
