#include "blob/access_tier.h"

#include <algorithm>

#include "blob/errors.h"
#include "core/text.h"

namespace kiln::blob {
namespace {

using text::lower;

// A rehydration whose time has come is over: `b` as it then reads.
void settle(BlobRecord& b, int64_t now_us) {
  if (b.rehydrate_tier.empty() || now_us < b.rehydrate_done_us) return;
  b.access_tier = b.rehydrate_tier;
  b.tier_changed_us = b.rehydrate_done_us;
  b.rehydrate_tier.clear();
  b.rehydrate_priority.clear();
  b.rehydrate_done_us = 0;
}

}  // namespace

std::string read_access_tier(const http::Headers& h, const char* header) {
  const std::string* v = h.find(header);
  if (!v) return "";
  std::string t = lower(*v);
  if (t == "hot") return "Hot";
  if (t == "cool") return "Cool";
  if (t == "cold") return "Cold";
  if (t == "archive") return "Archive";
  throw err::invalid_header_value(header, *v);
}

std::string read_rehydrate_priority(const http::Headers& h) {
  const std::string* v = h.find("x-ms-rehydrate-priority");
  if (!v) return "Standard";
  std::string p = lower(*v);
  if (p == "standard") return "Standard";
  if (p == "high") return "High";
  throw err::invalid_header_value("x-ms-rehydrate-priority", *v);
}

TierView tier_view(const BlobRecord& b, int64_t now_us) {
  // As settle() would leave it, without copying the record (every GET asks).
  const bool rehydrated = !b.rehydrate_tier.empty() && now_us >= b.rehydrate_done_us;
  const std::string& tier = rehydrated ? b.rehydrate_tier : b.access_tier;
  TierView v;
  v.inferred = tier.empty();
  v.tier = v.inferred ? "Hot" : tier;
  v.changed_us = rehydrated ? b.rehydrate_done_us : b.tier_changed_us;
  if (!b.rehydrate_tier.empty() && !rehydrated) {
    v.archive_status = "rehydrate-pending-to-" + lower(b.rehydrate_tier);
    v.rehydrate_priority = b.rehydrate_priority;
  }
  return v;
}

bool is_archived(const BlobRecord& b, int64_t now_us) {
  if (b.access_tier != "Archive") return false;
  return b.rehydrate_tier.empty() || now_us < b.rehydrate_done_us;
}

void require_online(const BlobRecord& b, int64_t now_us) {
  if (is_archived(b, now_us)) throw err::blob_archived();
}

int change_tier(BlobRecord& b, const std::string& tier, const std::string& priority, int64_t now_us) {
  settle(b, now_us);
  if (!b.rehydrate_tier.empty()) {
    if (tier != b.rehydrate_tier) throw err::blob_being_rehydrated();
    if (priority == "High" && b.rehydrate_priority != "High") {  // a pending rehydration may only speed up
      b.rehydrate_priority = "High";
      b.rehydrate_done_us = std::min(b.rehydrate_done_us, now_us + kRehydrateHighMicros);
    }
    return 202;
  }
  if (b.access_tier == "Archive" && tier != "Archive") {
    b.rehydrate_tier = tier;
    b.rehydrate_priority = priority;
    b.rehydrate_done_us = now_us + (priority == "High" ? kRehydrateHighMicros : kRehydrateStandardMicros);
    return 202;
  }
  if (b.access_tier != tier) b.tier_changed_us = now_us;
  b.access_tier = tier;
  return 200;
}

}  // namespace kiln::blob
