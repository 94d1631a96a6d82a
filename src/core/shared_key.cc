#include "core/shared_key.h"

#include <algorithm>
#include <map>

#include "core/crypto.h"
#include "core/text.h"

namespace kiln::shared_key {
namespace {

using text::lower;

// Header values are signed with folded whitespace trimmed (per the spec).
std::string trim(std::string_view v) {
  size_t b = v.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = v.find_last_not_of(" \t\r\n");
  return std::string(v.substr(b, e - b + 1));
}

std::string canonical_headers(const http::Headers& headers, std::string_view prefix) {
  std::map<std::string, std::string> picked;
  for (const auto& [name, value] : headers.all()) {
    std::string n = lower(name);
    if (n.compare(0, prefix.size(), prefix) != 0) continue;
    std::string v = trim(value);
    if (v.empty() && prefix == "ocp-") continue;
    auto [it, inserted] = picked.emplace(n, v);
    if (!inserted) it->second += "," + v;
  }
  std::string out;
  for (const auto& [n, v] : picked) out += n + ":" + v + "\n";
  return out;
}

std::string standard_headers(Service service, const http::Headers& h) {
  static const char* names[] = {"content-encoding", "content-language", "content-length",
                                "content-md5",      "content-type",     "date",
                                "if-modified-since", "if-match",        "if-none-match",
                                "if-unmodified-since", "range"};
  std::string out;
  for (const char* n : names) {
    std::string v = h.get(n);
    if (service == Service::kBlob && std::string_view(n) == "content-length" && v == "0") v.clear();
    out += v;
    out += '\n';
  }
  return out;
}

}  // namespace

std::string string_to_sign(Service service, const SignedRequest& r, std::string_view account) {
  const http::Headers& h = *r.headers;
  std::string s = r.method + "\n" + standard_headers(service, h);
  s += canonical_headers(h, service == Service::kBlob ? "x-ms-" : "ocp-");
  s += "/";
  s += account;
  s += r.encoded_path;
  if (service == Service::kBlob) {
    std::map<std::string, std::vector<std::string>> params;
    for (const auto& [k, v] : r.query) params[lower(k)].push_back(v);
    for (auto& [k, vs] : params) {
      std::sort(vs.begin(), vs.end());
      s += "\n" + k + ":";
      for (size_t i = 0; i < vs.size(); ++i) s += (i ? "," : "") + vs[i];
    }
  } else {
    std::map<std::string, std::string> params;
    for (const auto& [k, v] : r.query) params.emplace(k, v);  // first value wins, as parse_qs[0]
    for (const auto& [k, v] : params)
      if (!v.empty()) s += "\n" + k + ":" + v;
  }
  return s;
}

std::string string_to_sign_lite(const SignedRequest& r, std::string_view account) {
  const http::Headers& h = *r.headers;
  std::string s = r.method + "\n" + h.get("content-md5") + "\n" + h.get("content-type") + "\n" +
                  h.get("date") + "\n";
  s += canonical_headers(h, "x-ms-");
  s += "/";
  s += account;
  s += r.encoded_path;
  for (const auto& [k, v] : r.query)
    if (lower(k) == "comp") {
      s += "?comp=" + v;
      break;
    }
  return s;
}

std::string sign(std::string_view key, std::string_view sts) {
  return crypto::base64_encode(crypto::hmac_sha256(key, sts));
}

bool parse_authorization(std::string_view header, Authorization& out) {
  size_t sp = header.find(' ');
  if (sp == std::string_view::npos) return false;
  out.scheme = std::string(header.substr(0, sp));
  std::string_view rest = header.substr(sp + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  out.account = std::string(rest.substr(0, colon));
  out.signature = std::string(rest.substr(colon + 1));
  return (out.scheme == "SharedKey" || out.scheme == "SharedKeyLite") && !out.signature.empty();
}

}  // namespace kiln::shared_key
