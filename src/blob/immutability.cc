#include "blob/immutability.h"

#include "blob/errors.h"
#include "core/text.h"
#include "core/time_format.h"

namespace kiln::blob {

ImmutabilitySettings read_immutability_headers(const http::Headers& h, int64_t now_us) {
  ImmutabilitySettings s;
  if (const std::string* until = h.find("x-ms-immutability-policy-until-date")) {
    auto t = timefmt::parse_rfc1123(*until);
    if (!t || timefmt::to_micros(*t) <= now_us) throw err::invalid_header_value("x-ms-immutability-policy-until-date", *until);
    s.until_us = timefmt::to_micros(*t);
    s.mode = "unlocked";
  }
  if (const std::string* mode = h.find("x-ms-immutability-policy-mode")) {
    std::string m = text::lower(*mode);
    if (m != "unlocked" && m != "locked") throw err::invalid_header_value("x-ms-immutability-policy-mode", *mode);
    if (!s.until_us) throw err::missing_required_header("x-ms-immutability-policy-until-date");
    s.mode = m;
  }
  if (const std::string* hold = h.find("x-ms-legal-hold")) {
    std::string v = text::lower(*hold);
    if (v != "true" && v != "false") throw err::invalid_header_value("x-ms-legal-hold", *hold);
    s.legal_hold = v == "true";
  }
  return s;
}

void start_immutability(BlobRecord& b, const ImmutabilitySettings& s) {
  b.immutable_until_us = s.until_us.value_or(0);
  b.immutability_mode = s.until_us ? s.mode : "";
  b.legal_hold = s.legal_hold.value_or(false);
}

void set_immutability_policy(BlobRecord& b, int64_t until_us, const std::string& mode) {
  if (b.immutability_mode == "locked") {
    if (until_us < b.immutable_until_us)
      throw err::invalid_header_value("x-ms-immutability-policy-until-date", timefmt::rfc1123(timefmt::from_micros(until_us)));
    if (mode != "locked") throw err::invalid_header_value("x-ms-immutability-policy-mode", mode);
  }
  b.immutable_until_us = until_us;
  b.immutability_mode = mode;
}

void delete_immutability_policy(BlobRecord& b) {
  if (b.immutability_mode == "locked") {
    throw err::immutability_policy_delete_on_locked_policy();
  }
  b.immutable_until_us = 0;
  b.immutability_mode.clear();
}

void require_deletable(const BlobRecord& b, int64_t now_us) {
  if (b.legal_hold) throw err::blob_immutable_due_to_legal_hold();
  if (b.immutable_until_us > now_us) throw err::blob_immutable_due_to_policy();
}

void require_unprotected(const BlobRecord& b) {
  if (b.legal_hold) throw err::blob_immutable_due_to_legal_hold();
  if (b.immutable_until_us) throw err::blob_immutable_due_to_policy();
}

void add_immutability_headers(const BlobRecord& b, http::Headers& h) {
  if (b.immutable_until_us) {
    h.set("x-ms-immutability-policy-until-date", timefmt::rfc1123(timefmt::from_micros(b.immutable_until_us)));
    h.set("x-ms-immutability-policy-mode", b.immutability_mode);
  }
  if (b.legal_hold) h.set("x-ms-legal-hold", "true");
}

}  // namespace kiln::blob
