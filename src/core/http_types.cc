#include "core/http_types.h"

#include <unistd.h>

#include <algorithm>

namespace kiln::http {

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  // ASCII folding inline: header names are short and every request and response
  // compares many of them (strncasecmp goes through the locale).
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x - 'A' < 26u) x += 'a' - 'A';
    if (y - 'A' < 26u) y += 'a' - 'A';
    if (x != y) return x < y;
  }
  return a.size() < b.size();
}

const std::string* Headers::find(std::string_view name) const {
  auto it = map_.find(name);
  return it == map_.end() ? nullptr : &it->second;
}

std::string Headers::get(std::string_view name, std::string_view fallback) const {
  const std::string* v = find(name);
  return v ? *v : std::string(fallback);
}

void Headers::set(std::string_view name, std::string value) {
  erase(name);
  map_.emplace(std::string(name), std::move(value));
}

void Headers::add(std::string_view name, std::string value) {
  map_.emplace(std::string(name), std::move(value));
}

void Headers::erase(std::string_view name) {
  auto [lo, hi] = map_.equal_range(name);
  map_.erase(lo, hi);
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return v;
  return std::nullopt;
}

std::shared_ptr<int> FileBody::adopt(int fd) {
  return std::shared_ptr<int>(new int(fd), [](int* p) {
    if (*p >= 0) ::close(*p);
    delete p;
  });
}

}  // namespace kiln::http
