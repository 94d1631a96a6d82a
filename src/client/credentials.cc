#include "kiln/credentials.h"

#include <map>
#include <stdexcept>

#include "core/crypto.h"
#include "core/shared_key.h"

namespace kiln::client {

SharedKeyCredential::SharedKeyCredential(std::string account_name, std::string base64_key)
    : account_name_(std::move(account_name)) {
  auto key = crypto::base64_decode(base64_key);
  if (!key) throw std::invalid_argument("account key is not valid base64");
  key_ = std::move(*key);
}

std::string SharedKeyCredential::sign(std::string_view string_to_sign) const {
  return shared_key::sign(key_, string_to_sign);
}

ConnectionString ConnectionString::parse(std::string_view text) {
  std::map<std::string, std::string> kv;
  while (!text.empty()) {
    size_t semi = text.find(';');
    std::string_view part = text.substr(0, semi);
    text = semi == std::string_view::npos ? std::string_view{} : text.substr(semi + 1);
    size_t eq = part.find('=');
    if (part.empty() || eq == std::string_view::npos) continue;
    std::string key(part.substr(0, eq));
    for (char& c : key) c = char(std::tolower(static_cast<unsigned char>(c)));
    kv[key] = std::string(part.substr(eq + 1));  // values may contain '=' (base64 keys)
  }
  ConnectionString cs;
  if (kv["usedevelopmentstorage"] == "true") {
    cs.account_name = std::string(kDevelopmentAccount);
    cs.account_key = std::string(kDevelopmentKey);
    cs.blob_endpoint = "http://127.0.0.1:10000/devstoreaccount1";
    cs.batch_endpoint = "http://127.0.0.1:10100";
  }
  if (kv.count("accountname")) cs.account_name = kv["accountname"];
  if (kv.count("accountkey")) cs.account_key = kv["accountkey"];
  if (kv.count("batchendpoint")) cs.batch_endpoint = kv["batchendpoint"];
  if (kv.count("blobendpoint")) {
    cs.blob_endpoint = kv["blobendpoint"];
  } else if (cs.blob_endpoint.empty() && !cs.account_name.empty()) {
    std::string protocol = kv.count("defaultendpointsprotocol") ? kv["defaultendpointsprotocol"] : "https";
    std::string suffix = kv.count("endpointsuffix") ? kv["endpointsuffix"] : "core.windows.net";
    cs.blob_endpoint = protocol + "://" + cs.account_name + ".blob." + suffix;
  }
  while (!cs.blob_endpoint.empty() && cs.blob_endpoint.back() == '/') cs.blob_endpoint.pop_back();
  if (cs.account_name.empty()) throw std::invalid_argument("connection string has no AccountName");
  if (cs.account_key.empty()) throw std::invalid_argument("connection string has no AccountKey");
  return cs;
}

}  // namespace kiln::client
