#include "blob/names.h"

#include "blob/errors.h"

namespace kiln::blob {

bool is_valid_container_name(const std::string& n) {
  if (n == "$root" || n == "$logs" || n == "$web") return true;
  if (n.size() < 3 || n.size() > 63) return false;
  auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; };
  for (char c : n)
    if (!ok(c)) return false;
  if (n.front() == '-' || n.back() == '-') return false;
  return n.find("--") == std::string::npos;
}

void check_container_name(const std::string& n) {
  if (is_valid_container_name(n)) return;
  if (n.size() < 3 || n.size() > 63) {
    throw err::out_of_range_input("The specified resource name length is not within the permissible limits.");
  }
  throw err::invalid_resource_name();
}

void check_blob_name(const std::string& n) {
  if (n.empty() || n.size() > 1024) {
    throw err::out_of_range_input("The specified resource name length is not within the permissible limits.");
  }
  size_t segments = 1;
  for (char c : n) {
    if (c == '/') ++segments;
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) throw err::invalid_resource_name();
  }
  if (segments > 254) throw err::invalid_resource_name();
}

void check_metadata(const Metadata& m) {
  size_t total = 0;
  for (const auto& [k, v] : m) {
    total += k.size() + v.size();
    bool ok = !k.empty() && !(k[0] >= '0' && k[0] <= '9');
    for (char c : k)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) ok = false;
    if (!ok) throw err::invalid_metadata();
  }
  if (total > 8192) {
    throw AzureError(400, "MetadataTooLarge",
                     "The size of the request metadata exceeds the maximum size permitted.");
  }
}

}  // namespace kiln::blob
