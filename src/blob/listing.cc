#include "blob/listing.h"

#include "blob/errors.h"
#include "core/crypto.h"

namespace kiln::blob {

size_t read_max_results(const http::Request& req) {
  auto v = req.query_param("maxresults");
  if (!v) return 5000;
  if (v->empty() || v->size() > 9 || v->find_first_not_of("0123456789") != std::string::npos)
    throw err::invalid_query_parameter_value("maxresults", *v);
  long n = std::stol(*v);
  if (n < 1) throw err::out_of_range_input();
  return size_t(std::min<long>(n, 5000));
}

std::string encode_marker(const std::string& name, const std::string& snap_key) {
  std::string raw = name;
  raw.push_back('\0');
  raw += snap_key;
  return crypto::base64_encode(raw);
}

std::pair<std::string, std::string> decode_marker(const std::string& marker) {
  auto raw = crypto::base64_decode(marker);
  if (!raw) return {marker, ""};
  size_t zero = raw->find('\0');
  if (zero == std::string::npos) return {marker, ""};
  return {raw->substr(0, zero), raw->substr(zero + 1)};
}

}  // namespace kiln::blob
