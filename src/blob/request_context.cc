#include "blob/request_context.h"

#include "core/text.h"

namespace kiln::blob {
namespace {

using text::lower;

// "acct.blob.localhost[:port]" or "acct.blob.core.localhost[:port]" -> "acct".
std::string account_from_host(const std::string& host_header) {
  std::string host = lower(host_header);
  size_t colon = host.rfind(':');
  if (colon != std::string::npos && host.find(']') == std::string::npos) host = host.substr(0, colon);
  for (const char* suffix : {".blob.localhost", ".blob.core.localhost"}) {
    std::string s = suffix;
    if (host.size() > s.size() && host.compare(host.size() - s.size(), s.size(), s) == 0)
      return host.substr(0, host.size() - s.size());
  }
  return "";
}

}  // namespace

bool parse_location(const http::Request& req, RequestContext& ctx) {
  std::string path = req.path;
  std::string account = account_from_host(req.headers.get("host"));
  size_t pos = 1;  // after the leading '/'
  if (path.empty() || path[0] != '/') return false;
  if (account.empty()) {
    size_t slash = path.find('/', 1);
    account = path.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
    pos = slash == std::string::npos ? path.size() : slash + 1;
  } else {
    ctx.host_style = true;
  }
  if (account.empty()) return false;
  const std::string kSecondary = "-secondary";
  if (account.size() > kSecondary.size() &&
      account.compare(account.size() - kSecondary.size(), kSecondary.size(), kSecondary) == 0) {
    ctx.secondary = true;
    account.resize(account.size() - kSecondary.size());
  }
  ctx.account = account;
  if (pos < path.size()) {
    size_t slash = path.find('/', pos);
    ctx.container = path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    if (slash != std::string::npos) ctx.blob = path.substr(slash + 1);
  }
  ctx.snapshot = req.query_param("snapshot").value_or("");
  ctx.version_id = req.query_param("versionid").value_or("");
  return true;
}

std::string service_endpoint(const http::Request& req, const RequestContext& ctx) {
  std::string scheme = req.secure ? "https://" : "http://";
  std::string host = req.headers.get("host", "127.0.0.1");
  if (ctx.host_style) return scheme + host + "/";
  return scheme + host + "/" + ctx.account + (ctx.secondary ? "-secondary" : "") + "/";
}

}  // namespace kiln::blob
