#include "core/url.h"

#include <charconv>

namespace kiln::url {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> decode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += char(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string encode(std::string_view s, bool keep_slash) {
  static const char* d = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out += char(c);
    } else {
      out += '%';
      out += d[c >> 4];
      out += d[c & 15];
    }
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view q) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    auto name = decode(part.substr(0, eq), true);
    auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                              : decode(part.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

std::optional<Url> parse(std::string_view s) {
  Url u;
  size_t sep = s.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  for (char c : s.substr(0, sep)) u.scheme += char(std::tolower(static_cast<unsigned char>(c)));
  s = s.substr(sep + 3);
  size_t path_start = s.find_first_of("/?");
  std::string_view authority = s.substr(0, path_start);
  std::string_view rest = path_start == std::string_view::npos ? "" : s.substr(path_start);
  if (authority.empty()) return std::nullopt;
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    unsigned port = 0;
    auto p = authority.substr(colon + 1);
    auto r = std::from_chars(p.data(), p.data() + p.size(), port);
    if (r.ec != std::errc() || r.ptr != p.data() + p.size() || port > 65535) return std::nullopt;
    u.port = uint16_t(port);
    u.host = std::string(authority.substr(0, colon));
  } else {
    u.host = std::string(authority);
  }
  if (u.port == 0) u.port = u.scheme == "https" ? 443 : 80;
  size_t q = rest.find('?');
  u.path = std::string(rest.substr(0, q));
  if (u.path.empty()) u.path.assign(1, '/');
  if (q != std::string_view::npos) u.query = std::string(rest.substr(q + 1));
  return u;
}

}  // namespace kiln::url
