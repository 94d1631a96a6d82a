// Hashes, MACs and encodings used by Azure's authentication and integrity checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kiln::crypto {

std::string base64_encode(std::string_view bytes);
// Returns nullopt for malformed input (bad characters or padding).
std::optional<std::string> base64_decode(std::string_view text);

std::string hmac_sha256(std::string_view key, std::string_view message);  // raw 32 bytes
std::string md5(std::string_view bytes);     // raw 16 bytes
std::string sha256(std::string_view bytes);  // raw 32 bytes
std::string hex(std::string_view bytes);     // lower-case hex

// Incremental MD5 for streamed bodies.
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void update(std::string_view bytes);
  std::string finish();  // raw 16 bytes
 private:
  void* ctx_;
};

// Azure Storage's CRC-64 (reflected polynomial 0x9A6C9329AC4BC9B5, complemented
// on entry and exit), as the SDKs compute x-ms-content-crc64. `crc` chains calls.
uint64_t crc64(std::string_view bytes, uint64_t crc = 0);
// The 8 bytes little-endian, as sent base64-encoded in x-ms-content-crc64.
std::string crc64_bytes(uint64_t crc);

// Cryptographically random bytes.
std::string random_bytes(size_t n);
// A random RFC 4122 version-4 UUID in lower-case text form.
std::string uuid4();
// A version-4 UUID from a per-thread xoshiro256** generator seeded once per
// thread from random_bytes: no lock, NOT unpredictable. Only for identifiers
// that need uniqueness, not secrecy (request ids); use uuid4() for anything
// security-related (lease ids, tokens).
std::string fast_uuid4();

// Constant-time comparison for signatures.
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace kiln::crypto
