// Shared Key request signing (the Authorization: SharedKey account:signature
// scheme) as Blob Storage and Batch define it. Both the server (to verify) and
// the client library (to sign) build the same string-to-sign from here.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/http_types.h"

namespace kiln::shared_key {

enum class Service { kBlob, kBatch };

// What a signature covers, independent of how the request is carried.
struct SignedRequest {
  std::string method;
  std::string encoded_path;  // percent-encoded URL path as sent, e.g. "/acct/c/b%20x"
  std::vector<std::pair<std::string, std::string>> query;  // decoded
  const http::Headers* headers = nullptr;
};

// The canonical string for Shared Key (full). For Blob: x-ms-* headers, a zero
// Content-Length signs as empty, query names lower-cased with values joined by ','.
// For Batch: ocp-* headers, Content-Length as sent, empty query values skipped.
std::string string_to_sign(Service service, const SignedRequest& r, std::string_view account);

// Shared Key Lite for Blob: VERB, Content-MD5, Content-Type, Date, x-ms-* headers,
// and the resource with only ?comp=.
std::string string_to_sign_lite(const SignedRequest& r, std::string_view account);

// base64(HMAC-SHA256(key, string_to_sign)).
std::string sign(std::string_view key, std::string_view string_to_sign);

// Parses "SharedKey account:signature" / "SharedKeyLite account:signature".
struct Authorization {
  std::string scheme;  // "SharedKey" or "SharedKeyLite"
  std::string account;
  std::string signature;
};
bool parse_authorization(std::string_view header, Authorization& out);

}  // namespace kiln::shared_key
