#include "core/crypto.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

namespace kiln::crypto {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Fetched once: OpenSSL 3 looks an algorithm up again on every call given the
// legacy EVP_md5()/EVP_sha256() handles (seen in profiles of small PUTs).
const EVP_MD* md5_algorithm() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return md;
}
const EVP_MD* sha256_algorithm() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

std::string digest(const EVP_MD* md, std::string_view bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(bytes.data(), bytes.size(), out, &len, md, nullptr))
    throw std::runtime_error("EVP_Digest failed");
  return std::string(reinterpret_cast<char*>(out), len);
}

std::array<uint64_t, 256> make_crc64_table() {
  std::array<uint64_t, 256> t{};
  const uint64_t poly = 0x9A6C9329AC4BC9B5ull;
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
    t[i] = c;
  }
  return t;
}

}  // namespace

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    uint32_t v = 0;
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = in[i + k];
      int d;
      if (c >= 'A' && c <= 'Z') d = c - 'A';
      else if (c >= 'a' && c <= 'z') d = c - 'a' + 26;
      else if (c >= '0' && c <= '9') d = c - '0' + 52;
      else if (c == '+') d = 62;
      else if (c == '/') d = 63;
      else if (c == '=' && i + 4 == in.size() && k >= 2) { d = 0; ++pad; }
      else return std::nullopt;
      if (pad && c != '=') return std::nullopt;
      v = (v << 6) | d;
    }
    out += char(v >> 16);
    if (pad < 2) out += char((v >> 8) & 0xff);
    if (pad < 1) out += char(v & 0xff);
  }
  return out;
}

namespace {

// HMAC-SHA256 with the key's inner and outer pad blocks absorbed once per key
// and thread: OpenSSL 3's one-shot HMAC() fetches its algorithm and builds a
// MAC context on every call, which dominated small authenticated requests.
class HmacSha256 {
 public:
  explicit HmacSha256(std::string_view key) : key_(key) {
    const EVP_MD* md = sha256_algorithm();
    unsigned char block[64] = {};
    if (key.size() > sizeof block) {
      std::string h = sha256(key);
      std::memcpy(block, h.data(), h.size());
    } else {
      std::memcpy(block, key.data(), key.size());
    }
    unsigned char pad[64];
    for (int i = 0; i < 64; ++i) pad[i] = block[i] ^ 0x36;
    init(inner_, md, pad);
    for (int i = 0; i < 64; ++i) pad[i] = block[i] ^ 0x5c;
    init(outer_, md, pad);
    work_ = EVP_MD_CTX_new();
    if (!work_) throw std::runtime_error("EVP_MD_CTX_new failed");
  }
  ~HmacSha256() {
    EVP_MD_CTX_free(inner_);
    EVP_MD_CTX_free(outer_);
    EVP_MD_CTX_free(work_);
  }
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  const std::string& key() const { return key_; }

  std::string mac(std::string_view message) {
    unsigned char inner_digest[32], out[32];
    unsigned int len = 0;
    if (!EVP_MD_CTX_copy_ex(work_, inner_) || !EVP_DigestUpdate(work_, message.data(), message.size()) ||
        !EVP_DigestFinal_ex(work_, inner_digest, &len) || !EVP_MD_CTX_copy_ex(work_, outer_) ||
        !EVP_DigestUpdate(work_, inner_digest, sizeof inner_digest) || !EVP_DigestFinal_ex(work_, out, &len))
      throw std::runtime_error("HMAC-SHA256 failed");
    return std::string(reinterpret_cast<char*>(out), sizeof out);
  }

 private:
  static void init(EVP_MD_CTX*& ctx, const EVP_MD* md, const unsigned char* pad) {
    ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex2(ctx, md, nullptr) || !EVP_DigestUpdate(ctx, pad, 64))
      throw std::runtime_error("HMAC-SHA256 init failed");
  }
  std::string key_;
  EVP_MD_CTX* inner_ = nullptr;
  EVP_MD_CTX* outer_ = nullptr;
  EVP_MD_CTX* work_ = nullptr;
};

}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view message) {
  // A service signs with a handful of account keys: keep the last few per thread.
  constexpr size_t kKeysPerThread = 8;
  thread_local std::vector<std::unique_ptr<HmacSha256>> recent;
  for (size_t i = 0; i < recent.size(); ++i) {
    if (recent[i]->key() == key) {
      if (i > 0) std::swap(recent[i], recent[0]);
      return recent[0]->mac(message);
    }
  }
  if (recent.size() == kKeysPerThread) recent.pop_back();
  recent.insert(recent.begin(), std::make_unique<HmacSha256>(key));
  return recent[0]->mac(message);
}

std::string md5(std::string_view bytes) { return digest(md5_algorithm(), bytes); }
std::string sha256(std::string_view bytes) { return digest(sha256_algorithm(), bytes); }

std::string hex(std::string_view bytes) {
  static const char* d = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

Md5::Md5() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), md5_algorithm(), nullptr);
}
Md5::~Md5() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void Md5::update(std::string_view b) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), b.data(), b.size());
}
std::string Md5::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

uint64_t crc64(std::string_view bytes, uint64_t crc) {
  static const auto table = make_crc64_table();
  crc = ~crc;
  for (unsigned char c : bytes) crc = table[(crc ^ c) & 0xff] ^ (crc >> 8);
  return ~crc;
}

std::string crc64_bytes(uint64_t crc) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = char((crc >> (8 * i)) & 0xff);
  return out;
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), int(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return out;
}

std::string uuid4() {
  std::string b = random_bytes(16);
  b[6] = char((uint8_t(b[6]) & 0x0f) | 0x40);
  b[8] = char((uint8_t(b[8]) & 0x3f) | 0x80);
  std::string h = hex(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

namespace {

// xoshiro256** (Blackman & Vigna): fast, 2^256-1 period, good statistical quality.
struct Xoshiro256 {
  uint64_t s[4];
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t next() {
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
};

Xoshiro256 seeded_generator() {
  Xoshiro256 g{};
  std::string seed = random_bytes(sizeof(g.s));
  std::memcpy(g.s, seed.data(), sizeof(g.s));
  if ((g.s[0] | g.s[1] | g.s[2] | g.s[3]) == 0) g.s[0] = 1;  // the all-zero state is a fixed point
  return g;
}

}  // namespace

std::string fast_uuid4() {
  thread_local Xoshiro256 gen = seeded_generator();
  uint64_t hi = gen.next(), lo = gen.next();
  hi = (hi & ~uint64_t(0xf000)) | 0x4000;                       // version 4 (byte 6 high nibble)
  lo = (lo & ~(uint64_t(0xc0) << 56)) | (uint64_t(0x80) << 56);  // variant 10xx (byte 8)
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t pos = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++pos;  // keep the dash
    uint8_t byte = i < 8 ? uint8_t(hi >> (56 - 8 * i)) : uint8_t(lo >> (56 - 8 * (i - 8)));
    out[pos++] = kHex[byte >> 4];
    out[pos++] = kHex[byte & 0xf];
  }
  return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= uint8_t(a[i]) ^ uint8_t(b[i]);
  return diff == 0;
}

}  // namespace kiln::crypto
