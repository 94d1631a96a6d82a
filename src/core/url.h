// Percent-encoding and query strings as Azure's services read and write them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::url {

// Decodes %XX escapes; with `plus_as_space`, '+' becomes ' ' (form encoding).
// Returns nullopt on a malformed escape.
std::optional<std::string> decode(std::string_view s, bool plus_as_space = false);
// Encodes everything but unreserved characters (A-Z a-z 0-9 - _ . ~) and, when
// `keep_slash`, '/'.
std::string encode(std::string_view s, bool keep_slash = false);

// Splits "a=1&b=2" into decoded pairs; a name without '=' gets an empty value.
// Returns nullopt if any escape is malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view q);

// Parts of an absolute URL "scheme://host[:port]/path?query".
struct Url {
  std::string scheme;  // lower case
  std::string host;
  uint16_t port = 0;   // defaulted from the scheme when absent
  std::string path;    // still percent-encoded, starts with '/'
  std::string query;   // without '?', still percent-encoded
  std::string target() const { return query.empty() ? path : path + "?" + query; }
};
std::optional<Url> parse(std::string_view absolute_url);

}  // namespace kiln::url
