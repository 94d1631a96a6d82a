#include "blob/oauth.h"

#include <nlohmann/json.hpp>

#include "blob/errors.h"
#include "core/crypto.h"

namespace kiln::blob {
namespace {

constexpr int64_t kClockSkewSeconds = 5 * 60;

// base64url (JWT segments: '-' and '_', no padding) to bytes.
std::optional<std::string> base64url_decode(std::string_view s) {
  std::string b64(s);
  for (char& c : b64) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
  }
  while (b64.size() % 4) b64 += '=';
  return crypto::base64_decode(b64);
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

// Audiences Azure Storage takes: the storage resource, its application id, or this account's endpoint.
bool storage_audience(const std::string& aud, const std::string& account) {
  std::string a = aud;
  if (!a.empty() && a.back() == '/') a.pop_back();
  return a == "https://storage.azure.com" || a == "e406a681-f3d4-42a8-90b6-c2b029497af1" ||
         a == "https://" + account + ".blob.core.windows.net";
}

}  // namespace

BearerIdentity check_bearer_token(std::string_view token, const std::string& account, int64_t now_us) {
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) throw err::invalid_authentication_info("The token is not a JSON Web Token.");
  auto payload = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  nlohmann::json claims = payload ? nlohmann::json::parse(*payload, nullptr, false) : nlohmann::json();
  if (!claims.is_object()) throw err::invalid_authentication_info("The token's claims are not readable.");
  auto text = [&](const char* name) {
    auto it = claims.find(name);
    return it != claims.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto seconds = [&](const char* name) -> std::optional<int64_t> {
    auto it = claims.find(name);
    if (it == claims.end() || !it->is_number_integer()) return std::nullopt;  // NumericDate: whole seconds
    return it->get<int64_t>();
  };
  if (!storage_audience(text("aud"), account)) throw err::invalid_authentication_info("Audience validation failed.");
  std::string iss = text("iss");
  if (!starts_with(iss, "https://sts.windows.net/") && !starts_with(iss, "https://login.microsoftonline.com/"))
    throw err::invalid_authentication_info("Issuer validation failed.");
  int64_t now = now_us / 1000000;
  auto exp = seconds("exp"), nbf = seconds("nbf");
  if (!exp || *exp + kClockSkewSeconds <= now) throw err::invalid_authentication_info("Lifetime validation failed. The token is expired.");
  if (nbf && *nbf - kClockSkewSeconds > now) throw err::invalid_authentication_info("Lifetime validation failed. The token is not yet valid.");
  BearerIdentity who{text("oid"), text("tid")};
  if (who.oid.empty() || who.tid.empty()) throw err::invalid_authentication_info("The token names no object id (oid) or tenant (tid).");
  return who;
}

std::string user_delegation_key_value(const std::string& account_key, const UserDelegationKeyFields& k) {
  std::string fields = "kiln-user-delegation-key\n" + k.oid + "\n" + k.tid + "\n" + k.start + "\n" + k.expiry +
                       "\n" + k.service + "\n" + k.version;
  return crypto::base64_encode(crypto::hmac_sha256(account_key, fields));
}

}  // namespace kiln::blob
