#include "blob/conditions.h"

#include "blob/errors.h"
#include "core/time_format.h"

namespace kiln::blob {
namespace {

std::optional<int64_t> date_header(const http::Headers& h, const std::string& name) {
  const std::string* v = h.find(name);
  if (!v) return std::nullopt;
  auto t = timefmt::parse_rfc1123(*v);
  if (!t) return std::nullopt;
  return timefmt::to_micros(*t);
}

// True if `etag` is listed in the comma-separated header value (or it is "*").
bool etag_listed(const std::string& header, const std::string& etag) {
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t comma = header.find(',', pos);
    std::string item = header.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos) {
      item = item.substr(b, e - b + 1);
      if (item == "*") return true;
      if (item.rfind("W/", 0) == 0) item = item.substr(2);
      auto unquote = [](std::string s) {
        if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
        return s;
      };
      if (unquote(item) == unquote(etag)) return true;
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return false;
}

int64_t seconds(int64_t us) { return us / 1000000; }

}  // namespace

Conditions parse_conditions(const http::Headers& h, const std::string& prefix) {
  Conditions c;
  if (const auto* v = h.find(prefix + "if-match")) c.if_match = *v;
  if (const auto* v = h.find(prefix + "if-none-match")) c.if_none_match = *v;
  c.if_modified_since_us = date_header(h, prefix + "if-modified-since");
  c.if_unmodified_since_us = date_header(h, prefix + "if-unmodified-since");
  return c;
}

ConditionResult evaluate(const Conditions& c, bool exists, const std::string& etag, int64_t last_modified_us,
                         bool is_read) {
  if (c.if_match) {
    if (!exists || !etag_listed(*c.if_match, etag)) return ConditionResult::kFailed;
  }
  if (exists && c.if_unmodified_since_us &&
      seconds(last_modified_us) > seconds(*c.if_unmodified_since_us))
    return ConditionResult::kFailed;
  auto not_modified = is_read ? ConditionResult::kNotModified : ConditionResult::kFailed;
  if (c.if_none_match && exists && etag_listed(*c.if_none_match, etag)) return not_modified;
  if (exists && c.if_modified_since_us && seconds(last_modified_us) <= seconds(*c.if_modified_since_us))
    return not_modified;
  if (!exists && c.if_modified_since_us && !is_read) return ConditionResult::kFailed;
  return ConditionResult::kPass;
}

void check_conditions(const Conditions& c, bool exists, const std::string& etag, int64_t last_modified_us,
                      bool is_read) {
  switch (evaluate(c, exists, etag, last_modified_us, is_read)) {
    case ConditionResult::kPass:
      return;
    case ConditionResult::kNotModified: {
      AzureError e = err::condition_not_met();
      e.status = 304;
      throw e;
    }
    case ConditionResult::kFailed:
      throw err::condition_not_met();
  }
}

}  // namespace kiln::blob
