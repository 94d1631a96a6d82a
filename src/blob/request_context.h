// The request context: which account, container, blob and snapshot a request
// addresses (path-style "/account/container/blob" or host-style
// "account.blob.localhost"), and per-request facts every stage shares.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "blob/oauth.h"
#include "blob/operation.h"
#include "core/accounts.h"
#include "core/http_types.h"

namespace kiln::blob {

struct RequestContext {
  std::string request_id;
  std::string account;     // account name without "-secondary"
  bool secondary = false;  // addressed as "<account>-secondary": read-only
  bool host_style = false;
  std::string container;   // decoded; empty for service-level requests
  std::string blob;        // decoded; empty unless blob-level
  std::string snapshot;    // ?snapshot=
  std::string version_id;  // ?versionid= (versions.h)
  Operation op = Operation::kUnknown;
  const Account* acct = nullptr;
  int64_t now_us = 0;
  bool anonymous = false;  // no credentials: public access only
  std::optional<BearerIdentity> bearer;  // authenticated by a bearer token (oauth.h)
};

// Splits the URL into account/container/blob. Returns false when the URL names no account.
bool parse_location(const http::Request& req, RequestContext& ctx);

// The service endpoint as the client addressed it ("http://host:port/account/"),
// for ServiceEndpoint attributes in listings.
std::string service_endpoint(const http::Request& req, const RequestContext& ctx);

}  // namespace kiln::blob
