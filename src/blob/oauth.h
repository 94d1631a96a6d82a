// Azure AD (OAuth 2.0) bearer tokens and the user delegation keys they may
// ask for, when `kiln serve --oauth` accepts them (HTTPS only).
//
// Kiln has no Azure AD to ask: it reads a token's claims and checks its
// audience, issuer and lifetime, not its signature (as Azurite's basic OAuth
// mode does), so whoever reaches the port with a well-formed token is let in,
// with every permission (Kiln has no Azure RBAC). docs/compatibility.md says so.
//
// A user delegation key is derived from the account key and the key's fields,
// so Kiln stores none: a user delegation SAS is verified by deriving it again.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/accounts.h"

namespace kiln::blob {

struct BearerIdentity {
  std::string oid;  // the caller's object id
  std::string tid;  // its tenant
};

// The identity of "Bearer <token>", or AzureError 401 InvalidAuthenticationInfo.
BearerIdentity check_bearer_token(std::string_view token, const std::string& account, int64_t now_us);

struct UserDelegationKeyFields {
  std::string oid, tid, start, expiry, service, version;  // SignedOid ... SignedVersion, as sent back
};
// The key's Value (base64) under `account_key` (decoded bytes).
std::string user_delegation_key_value(const std::string& account_key, const UserDelegationKeyFields& k);

}  // namespace kiln::blob
