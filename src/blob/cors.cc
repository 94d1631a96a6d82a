// CORS: preflight OPTIONS requests and the CORS headers on actual requests,
// from the rules stored with Set Blob Service Properties.
#include <algorithm>

#include "blob/handlers.h"
#include "blob/xml_parse.h"
#include "core/text.h"

namespace kiln::blob {
namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    std::string item = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

using text::lower;

bool origin_allowed(const CorsRule& r, const std::string& origin) {
  for (const auto& o : split_list(r.allowed_origins))
    if (o == "*" || lower(o) == lower(origin)) return true;
  return false;
}

bool method_allowed(const CorsRule& r, const std::string& method) {
  for (const auto& m : split_list(r.allowed_methods))
    if (lower(m) == lower(method)) return true;
  return false;
}

// Allowed headers may end in '*' as a prefix wildcard.
bool header_allowed(const std::vector<std::string>& allowed, const std::string& header) {
  std::string h = lower(header);
  for (const auto& a : allowed) {
    std::string al = lower(a);
    if (al == "*" || al == h) return true;
    if (!al.empty() && al.back() == '*' && h.compare(0, al.size() - 1, al, 0, al.size() - 1) == 0) return true;
  }
  return false;
}

std::vector<CorsRule> load_rules(Call& c) {
  std::optional<std::string> stored;
  c.be.store.read([&](MetadataReader& r) { stored = r.get_service_properties(c.ctx.account); });
  if (!stored) return {};
  return cors_rules(parse_service_properties(*stored));
}

}  // namespace

void preflight(Call& c) {
  std::string origin = c.req.headers.get("origin");
  std::string method = c.req.headers.get("access-control-request-method");
  if (origin.empty()) {
    throw AzureError(400, "InvalidCorsHeaderValue", "A required CORS header is not present.");
  }
  if (method.empty()) {
    throw AzureError(400, "InvalidCorsHeaderValue", "A required CORS header is not present.");
  }
  auto requested = split_list(c.req.headers.get("access-control-request-headers"));
  for (const auto& rule : load_rules(c)) {
    if (!origin_allowed(rule, origin) || !method_allowed(rule, method)) continue;
    auto allowed = split_list(rule.allowed_headers);
    bool ok = std::all_of(requested.begin(), requested.end(),
                          [&](const std::string& h) { return header_allowed(allowed, h); });
    if (!ok) continue;
    bool any_origin = split_list(rule.allowed_origins) == std::vector<std::string>{"*"};
    c.res.headers.set("Access-Control-Allow-Origin", any_origin ? "*" : origin);
    c.res.headers.set("Access-Control-Allow-Methods", method);
    if (!requested.empty()) c.res.headers.set("Access-Control-Allow-Headers", c.req.headers.get("access-control-request-headers"));
    c.res.headers.set("Access-Control-Max-Age", std::to_string(rule.max_age));
    if (!any_origin) c.res.headers.set("Access-Control-Allow-Credentials", "true");
    if (!any_origin) c.res.headers.set("Vary", "Origin");
    return;
  }
  throw err::cors_preflight_failure();
}

void add_cors_headers(Call& c) {
  std::string origin = c.req.headers.get("origin");
  if (origin.empty()) return;
  for (const auto& rule : load_rules(c)) {
    if (!origin_allowed(rule, origin) || !method_allowed(rule, c.req.method)) continue;
    bool any_origin = split_list(rule.allowed_origins) == std::vector<std::string>{"*"};
    c.res.headers.set("Access-Control-Allow-Origin", any_origin ? "*" : origin);
    if (!rule.exposed_headers.empty()) c.res.headers.set("Access-Control-Expose-Headers", rule.exposed_headers);
    if (!any_origin) {
      c.res.headers.set("Access-Control-Allow-Credentials", "true");
      c.res.headers.set("Vary", "Origin");
    }
    return;
  }
}

}  // namespace kiln::blob
