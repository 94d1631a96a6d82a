#include "blob/sas.h"

#include <cstdint>

namespace kiln::blob {

std::optional<SasToken> parse_sas(const std::vector<std::pair<std::string, std::string>>& query) {
  SasToken t;
  bool has_sig = false;
  for (const auto& [k, v] : query) {
    if (k == "sv") t.sv = v;
    else if (k == "ss") t.ss = v;
    else if (k == "srt") t.srt = v;
    else if (k == "sp") t.sp = v;
    else if (k == "st") t.st = v;
    else if (k == "se") t.se = v;
    else if (k == "sip") t.sip = v;
    else if (k == "spr") t.spr = v;
    else if (k == "sr") t.sr = v;
    else if (k == "si") t.si = v;
    else if (k == "ses") t.ses = v;
    else if (k == "rscc") t.rscc = v;
    else if (k == "rscd") t.rscd = v;
    else if (k == "rsce") t.rsce = v;
    else if (k == "rscl") t.rscl = v;
    else if (k == "rsct") t.rsct = v;
    else if (k == "skoid") t.skoid = v;
    else if (k == "sktid") t.sktid = v;
    else if (k == "skt") t.skt = v;
    else if (k == "ske") t.ske = v;
    else if (k == "sks") t.sks = v;
    else if (k == "skv") t.skv = v;
    else if (k == "saoid") t.saoid = v;
    else if (k == "suoid") t.suoid = v;
    else if (k == "scid") t.scid = v;
    else if (k == "skdutid") t.skdutid = v;
    else if (k == "sduoid") t.sduoid = v;
    else if (k == "srh") t.srh = v;
    else if (k == "srq") t.srq = v;
    else if (k == "sig") {
      t.sig = v;
      has_sig = true;
    }
  }
  if (!has_sig) return std::nullopt;
  return t;
}

std::string sas_canonical_resource(const std::string& account, const std::string& container,
                                   const std::string& blob) {
  std::string r = "/blob/" + account + "/" + container;
  if (!blob.empty()) r += "/" + blob;
  return r;
}

std::optional<std::string> service_sas_string_to_sign(const SasToken& t, const std::string& canonical_resource,
                                                      const std::string& snapshot,
                                                      const SignedRequestPart& signed_request) {
  // Signed versions are ISO dates, so string comparison orders them.
  if (t.sv < "2015-04-05" || (t.user_delegation() && t.sv < "2018-11-09")) return std::nullopt;
  std::string s = t.sp + "\n" + t.st + "\n" + t.se + "\n" + canonical_resource + "\n";
  if (t.user_delegation()) {
    s += t.skoid + "\n" + t.sktid + "\n" + t.skt + "\n" + t.ske + "\n" + t.sks + "\n" + t.skv + "\n";
    if (t.sv >= "2020-02-10") s += t.saoid + "\n" + t.suoid + "\n" + t.scid + "\n";
    if (t.sv >= "2025-07-05") s += t.skdutid + "\n" + t.sduoid + "\n";
  } else {
    s += t.si + "\n";
  }
  s += t.sip + "\n" + t.spr + "\n" + t.sv + "\n";
  if (t.sv >= "2018-11-09") s += t.sr + "\n" + snapshot + "\n";
  if (t.sv >= "2020-12-06") s += t.ses + "\n";
  if (t.user_delegation() && t.sv >= "2026-04-06") s += signed_request.headers + "\n" + signed_request.query + "\n";
  s += t.rscc + "\n" + t.rscd + "\n" + t.rsce + "\n" + t.rscl + "\n" + t.rsct;
  return s;
}

SignedRequestPart sas_signed_request_part(const SasToken& t, const std::function<std::string(const std::string&)>& header,
                                          const std::function<std::string(const std::string&)>& query) {
  SignedRequestPart out;
  auto each = [](const std::string& names, const std::function<void(const std::string&)>& fn) {
    size_t pos = 0;
    while (pos < names.size()) {
      size_t comma = names.find(',', pos);
      if (comma == std::string::npos) comma = names.size();
      if (comma > pos) fn(names.substr(pos, comma - pos));
      pos = comma + 1;
    }
  };
  each(t.srh, [&](const std::string& name) { out.headers += name + ":" + header(name) + "\n"; });
  each(t.srq, [&](const std::string& name) { out.query += "\n" + name + ":" + query(name); });
  return out;
}

std::optional<std::string> account_sas_string_to_sign(const SasToken& t, const std::string& account) {
  if (t.sv < "2015-04-05") return std::nullopt;
  std::string s = account + "\n" + t.sp + "\n" + t.ss + "\n" + t.srt + "\n" + t.st + "\n" + t.se + "\n" + t.sip +
                  "\n" + t.spr + "\n" + t.sv + "\n";
  if (t.sv >= "2020-12-06") s += t.ses + "\n";
  return s;
}

namespace {
std::optional<uint32_t> parse_ipv4(const std::string& s) {
  uint32_t out = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return std::nullopt;
    uint32_t v = 0;
    size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + uint32_t(s[i] - '0');
      if (++digits > 3 || v > 255) return std::nullopt;
      ++i;
    }
    out = (out << 8) | v;
    if (++parts < 4) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != s.size()) return std::nullopt;
  return out;
}
}  // namespace

bool ip_in_range(const std::string& range, const std::string& ip) {
  std::string addr = ip;
  if (addr.rfind("::ffff:", 0) == 0) addr = addr.substr(7);  // IPv4-mapped IPv6
  auto a = parse_ipv4(addr);
  if (!a) return false;
  size_t dash = range.find('-');
  auto lo = parse_ipv4(range.substr(0, dash));
  auto hi = dash == std::string::npos ? lo : parse_ipv4(range.substr(dash + 1));
  if (!lo || !hi) return false;
  return *a >= *lo && *a <= *hi;
}

}  // namespace kiln::blob
