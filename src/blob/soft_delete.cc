#include "blob/soft_delete.h"

#include <algorithm>

#include <pugixml.hpp>

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

int64_t remaining_retention_days(int64_t deleted_us, int64_t days, int64_t now_us) {
  constexpr int64_t kDayUs = 86'400'000'000LL;
  int64_t left_us = deleted_us + days * kDayUs - now_us;
  return std::max<int64_t>(1, (left_us + kDayUs - 1) / kDayUs);
}

int64_t delete_retention_days(MetadataReader& r, const std::string& account) {
  // Asked on every delete and overwrite (on the store's writer): only the
  // policy's element of the stored document is parsed.
  auto stored = r.get_service_properties(account);
  if (!stored) return 0;
  const std::string open = "<DeleteRetentionPolicy>", close = "</DeleteRetentionPolicy>";
  size_t from = stored->find(open), to = stored->find(close);
  if (from == std::string::npos || to == std::string::npos || to < from) return 0;
  std::string_view xml = std::string_view(*stored).substr(from, to + close.size() - from);
  if (xml.find("<Enabled>true</Enabled>") == std::string_view::npos) return 0;
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return 0;
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
  kept.version_id.clear();  // kept as a snapshot, not a version
  w.put_blob(kept);
  return true;
}

}  // namespace kiln::blob
