#include "blob/customer_key.h"

#include "blob/errors.h"
#include "core/crypto.h"

namespace kiln::blob {

std::string read_customer_key(const http::Headers& h, const std::string& prefix) {
  const std::string key_name = prefix + "x-ms-encryption-key";
  const std::string sha_name = key_name + "-sha256", algorithm_name = prefix + "x-ms-encryption-algorithm";
  const std::string* key = h.find(key_name);
  const std::string* sha = h.find(sha_name);
  const std::string* algorithm = h.find(algorithm_name);
  if (!key) {
    if (sha || algorithm) throw err::missing_required_header(key_name);
    return "";
  }
  auto raw = crypto::base64_decode(*key);
  if (!raw || raw->size() != 32) throw err::invalid_header_value(key_name, *key);
  std::string digest = crypto::base64_encode(crypto::sha256(*raw));
  if (sha && *sha != digest) throw err::invalid_header_value(sha_name, *sha);
  if (!algorithm) throw err::missing_required_header(algorithm_name);
  if (*algorithm != "AES256") throw err::invalid_header_value(algorithm_name, *algorithm);
  return digest;
}

void check_customer_key(const std::string& stored, const std::string& sent) {
  if (stored == sent) return;
  if (sent.empty()) throw err::blob_uses_customer_specified_encryption();
  if (stored.empty()) throw err::blob_does_not_use_customer_specified_encryption();
  throw err::blob_customer_specified_encryption_mismatch();
}

void require_customer_key(const std::string& stored, const http::Headers& h, const std::string& prefix) {
  check_customer_key(stored, read_customer_key(h, prefix));
}

void add_customer_key_header(const std::string& sha256, http::Headers& h) {
  if (!sha256.empty()) h.set("x-ms-encryption-key-sha256", sha256);
}

}  // namespace kiln::blob
