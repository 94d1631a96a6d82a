// Customer-provided keys (x-ms-encryption-key, x-ms-encryption-key-sha256,
// x-ms-encryption-algorithm: AES256). Azure encrypts such a blob with the key
// and keeps only the key's SHA-256; from then on every read of the blob, and
// every write that keeps its bytes or metadata, must send the same key.
// Kiln keeps the SHA-256 and applies the same rules, with Azure's errors, but
// stores the bytes as it stores every blob (docs/compatibility.md).
#pragma once

#include <string>

#include "core/http_types.h"

namespace kiln::blob {

// The SHA-256 (base64) of the key the request sends, "" when it sends none.
// `prefix` "x-ms-source-" reads a copy source's key. 400 InvalidHeaderValue
// for a key that is not 32 bytes of base64, a SHA-256 that is not the key's,
// an algorithm other than AES256; MissingRequiredHeader for a half-sent key.
std::string read_customer_key(const http::Headers& h, const std::string& prefix = "");

// 409 BlobUsesCustomerSpecifiedEncryption (no key for a blob that has one),
// BlobDoesNotUseCustomerSpecifiedEncryption (a key for one that has none), or
// BlobCustomerSpecifiedEncryptionMismatch (another key).
void check_customer_key(const std::string& stored_sha256, const std::string& sent_sha256);
// The same for the key the request sends (read_customer_key): for reads and
// writes of a blob that stored `stored_sha256`.
void require_customer_key(const std::string& stored_sha256, const http::Headers& h, const std::string& prefix = "");

// x-ms-encryption-key-sha256 of a blob (or a write) that uses a key.
void add_customer_key_header(const std::string& sha256, http::Headers& h);

}  // namespace kiln::blob
