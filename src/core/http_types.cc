#include "core/http_types.h"

#include <strings.h>
#include <unistd.h>

#include <algorithm>

namespace kiln::http {

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  size_t n = std::min(a.size(), b.size());
  int c = strncasecmp(a.data(), b.data(), n);
  if (c != 0) return c < 0;
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
