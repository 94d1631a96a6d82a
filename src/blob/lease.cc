#include "blob/lease.h"

#include <cctype>

#include "blob/errors.h"
#include "core/crypto.h"

namespace kiln::blob {
namespace {

bool is_guid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

bool same_id(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

int64_t parse_int(const std::string& name, const std::string& v) {
  try {
    size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used != v.size()) throw std::invalid_argument(v);
    return n;
  } catch (const std::exception&) {
    throw err::invalid_header_value(name, v);
  }
}

}  // namespace

LeaseRecord effective_lease(const LeaseRecord& l, int64_t now_us) {
  LeaseRecord e = l;
  if (l.state == "leased" && l.duration > 0 && now_us >= l.expires_us) e.state = "expired";
  if (l.state == "breaking" && now_us >= l.expires_us) e.state = "broken";
  return e;
}

bool lease_active(const LeaseRecord& e) { return e.state == "leased" || e.state == "breaking"; }

void add_lease_headers(const LeaseRecord& e, http::Headers& h) {
  h.set("x-ms-lease-state", e.state);
  h.set("x-ms-lease-status", lease_active(e) ? "locked" : "unlocked");
  if (e.state == "leased") h.set("x-ms-lease-duration", e.duration < 0 ? "infinite" : "fixed");
}

void apply_lease_action(LeaseRecord& lease, const http::Request& req, int64_t now_us, http::Response& res) {
  const auto& h = req.headers;
  std::string action = h.get("x-ms-lease-action");
  for (char& c : action) c = char(std::tolower(static_cast<unsigned char>(c)));
  std::string id = h.get("x-ms-lease-id");
  LeaseRecord cur = effective_lease(lease, now_us);
  if (action == "acquire") {
    if (!h.has("x-ms-lease-duration")) throw err::missing_required_header("x-ms-lease-duration");
    int64_t duration = parse_int("x-ms-lease-duration", h.get("x-ms-lease-duration"));
    if (duration != -1 && (duration < 15 || duration > 60)) {
      throw err::invalid_header_value("x-ms-lease-duration", h.get("x-ms-lease-duration"));
    }
    std::string proposed = h.get("x-ms-proposed-lease-id");
    if (!proposed.empty() && !is_guid(proposed)) throw err::invalid_header_value("x-ms-proposed-lease-id", proposed);
    if (cur.state == "leased" && !(!proposed.empty() && same_id(proposed, cur.id))) throw err::lease_already_present();
    if (cur.state == "breaking") throw err::lease_is_breaking_and_cannot_be_acquired();
    lease.state = "leased";
    lease.id = proposed.empty() ? crypto::uuid4() : proposed;
    lease.duration = duration;
    lease.expires_us = duration > 0 ? now_us + duration * 1000000 : 0;
    res.status = 201;
    res.headers.set("x-ms-lease-id", lease.id);
  } else if (action == "renew") {
    if (id.empty()) throw err::missing_required_header("x-ms-lease-id");
    if (cur.state == "available") throw err::lease_not_present_with_lease_operation();
    if (!same_id(id, cur.id)) throw err::lease_id_mismatch_with_lease_operation();
    if (cur.state == "breaking" || cur.state == "broken") throw err::lease_is_broken_and_cannot_be_renewed();
    lease.state = "leased";
    lease.expires_us = lease.duration > 0 ? now_us + lease.duration * 1000000 : 0;
    res.status = 200;
    res.headers.set("x-ms-lease-id", lease.id);
  } else if (action == "change") {
    if (id.empty()) throw err::missing_required_header("x-ms-lease-id");
    std::string proposed = h.get("x-ms-proposed-lease-id");
    if (proposed.empty()) throw err::missing_required_header("x-ms-proposed-lease-id");
    if (!is_guid(proposed)) throw err::invalid_header_value("x-ms-proposed-lease-id", proposed);
    if (cur.state != "leased" && cur.state != "breaking") throw err::lease_not_present_with_lease_operation();
    if (cur.state == "breaking") throw err::lease_is_breaking_and_cannot_be_changed();
    if (!same_id(id, cur.id) && !same_id(proposed, cur.id)) throw err::lease_id_mismatch_with_lease_operation();
    lease.id = proposed;
    res.status = 200;
    res.headers.set("x-ms-lease-id", lease.id);
  } else if (action == "release") {
    if (id.empty()) throw err::missing_required_header("x-ms-lease-id");
    if (cur.state == "available") throw err::lease_not_present_with_lease_operation();
    if (!same_id(id, cur.id)) throw err::lease_id_mismatch_with_lease_operation();
    lease = LeaseRecord{};
    res.status = 200;
  } else if (action == "break") {
    if (cur.state == "available") throw err::lease_not_present_with_lease_operation();
    int64_t period = -1;
    if (h.has("x-ms-lease-break-period")) {
      period = parse_int("x-ms-lease-break-period", h.get("x-ms-lease-break-period"));
      if (period < 0 || period > 60) throw err::invalid_header_value("x-ms-lease-break-period", h.get("x-ms-lease-break-period"));
    }
    int64_t remaining = 0;
    if (cur.state == "leased") {
      int64_t left = cur.duration > 0 ? (cur.expires_us - now_us + 999999) / 1000000 : -1;
      int64_t brk = period >= 0 ? period : (left >= 0 ? left : 0);
      if (left >= 0 && brk > left) brk = left;
      remaining = brk;
    } else if (cur.state == "breaking") {
      remaining = (cur.expires_us - now_us + 999999) / 1000000;
      if (period >= 0 && period < remaining) remaining = period;
    }
    if (cur.state == "expired" || cur.state == "broken") {
      remaining = 0;
    }
    if (remaining <= 0) {
      lease.state = "broken";
      lease.expires_us = now_us;
    } else {
      lease.state = "breaking";
      lease.expires_us = now_us + remaining * 1000000;
    }
    res.status = 202;
    res.headers.set("x-ms-lease-time", std::to_string(remaining < 0 ? 0 : remaining));
  } else {
    if (action.empty()) throw err::missing_required_header("x-ms-lease-action");
    throw err::invalid_header_value("x-ms-lease-action", h.get("x-ms-lease-action"));
  }
}

void check_lease_access(const LeaseRecord& e, const http::Headers& h, LeaseTarget target, bool is_write) {
  const std::string* id = h.find("x-ms-lease-id");
  bool active = lease_active(e);
  bool container = target == LeaseTarget::kContainer;
  if (id && !id->empty()) {
    if (!active) {
      throw container ? err::lease_not_present_with_container_operation() : err::lease_not_present_with_blob_operation();
    }
    if (!same_id(*id, e.id)) {
      throw container ? err::lease_id_mismatch_with_container_operation() : err::lease_id_mismatch_with_blob_operation();
    }
    return;
  }
  if (is_write && active) throw err::lease_id_missing();
}

}  // namespace kiln::blob
