#include "blob/customer_key.h"

#include <gtest/gtest.h>

#include "blob/error_code_testing.h"
#include "core/crypto.h"

namespace kiln::blob {
namespace {

const std::string kKey = std::string(32, 'k');

http::Headers key_headers(const std::string& prefix = "") {
  http::Headers h;
  h.set(prefix + "x-ms-encryption-key", crypto::base64_encode(kKey));
  h.set(prefix + "x-ms-encryption-key-sha256", crypto::base64_encode(crypto::sha256(kKey)));
  h.set(prefix + "x-ms-encryption-algorithm", "AES256");
  return h;
}

TEST(CustomerKey, ReadsAWholeKeyAndRefusesAnyOther) {
  EXPECT_EQ(read_customer_key(http::Headers{}), "");
  EXPECT_EQ(read_customer_key(key_headers()), crypto::base64_encode(crypto::sha256(kKey)));
  EXPECT_EQ(read_customer_key(key_headers("x-ms-source-"), "x-ms-source-"), crypto::base64_encode(crypto::sha256(kKey)));
  EXPECT_EQ(read_customer_key(key_headers("x-ms-source-")), "");  // a source's key is not the request's
  auto with = [](const char* name, const char* value) {
    http::Headers h = key_headers();
    if (value) h.set(name, value);
    else h.erase(name);
    return error_code_of([&] { read_customer_key(h); });
  };
  EXPECT_EQ(with("x-ms-encryption-key", "c2hvcnQ="), "InvalidHeaderValue");  // 5 bytes
  EXPECT_EQ(with("x-ms-encryption-key", "not base64!"), "InvalidHeaderValue");
  EXPECT_EQ(with("x-ms-encryption-key-sha256", "AAAA"), "InvalidHeaderValue");
  EXPECT_EQ(with("x-ms-encryption-key-sha256", nullptr), "");  // optional: computed
  EXPECT_EQ(with("x-ms-encryption-algorithm", "AES128"), "InvalidHeaderValue");
  EXPECT_EQ(with("x-ms-encryption-algorithm", nullptr), "MissingRequiredHeader");
  EXPECT_EQ(with("x-ms-encryption-key", nullptr), "MissingRequiredHeader");  // a hash without its key
}

TEST(CustomerKey, TheBlobsKeyDecides) {
  EXPECT_EQ(error_code_of([] { check_customer_key("", ""); }), "");
  EXPECT_EQ(error_code_of([] { check_customer_key("a", "a"); }), "");
  EXPECT_EQ(error_code_of([] { check_customer_key("a", ""); }), "BlobUsesCustomerSpecifiedEncryption");
  EXPECT_EQ(error_code_of([] { check_customer_key("", "a"); }), "BlobDoesNotUseCustomerSpecifiedEncryption");
  EXPECT_EQ(error_code_of([] { check_customer_key("a", "b"); }), "BlobCustomerSpecifiedEncryptionMismatch");
}

}  // namespace
}  // namespace kiln::blob
