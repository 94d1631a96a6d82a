// Account credentials and endpoints for the Kiln client library.
//
// A SharedKeyCredential holds an account name and its base64 key; every request
// is signed with it (Authorization: SharedKey). ConnectionString parses the
// Azure Storage connection-string format, including UseDevelopmentStorage=true
// and Azurite-style strings with BlobEndpoint=.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kiln::client {

// The well-known development account (the one Azurite and Kiln accept by default).
inline constexpr std::string_view kDevelopmentAccount = "devstoreaccount1";
inline constexpr std::string_view kDevelopmentKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

// An account name and key. The key is kept base64-encoded, as the portal shows it.
class SharedKeyCredential {
 public:
  // Throws std::invalid_argument if `base64_key` is not valid base64.
  SharedKeyCredential(std::string account_name, std::string base64_key);

  const std::string& account_name() const { return account_name_; }
  // base64(HMAC-SHA256(key, string_to_sign)): the signature Azure expects.
  std::string sign(std::string_view string_to_sign) const;

 private:
  std::string account_name_;
  std::string key_;  // decoded bytes
};

// A shared access signature: the query string ("sv=...&sig=...") that grants
// access to a container or blob without the account key.
struct SasToken {
  std::string token;
};

// A parsed storage connection string.
struct ConnectionString {
  std::string account_name;
  std::string account_key;       // base64
  std::string blob_endpoint;     // e.g. "https://acct.blob.core.windows.net" or
                                 // "http://127.0.0.1:10000/devstoreaccount1"
  std::string batch_endpoint;    // from a Kiln-specific BatchEndpoint= key, may be empty

  // Parses "DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=..."
  // and "UseDevelopmentStorage=true". Throws std::invalid_argument when the string lacks
  // an account name or key, or has no way to derive the blob endpoint.
  static ConnectionString parse(std::string_view text);

  SharedKeyCredential credential() const { return {account_name, account_key}; }
};

}  // namespace kiln::client
