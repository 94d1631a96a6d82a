// Authentication and authorization of one request: Shared Key, Shared Key
// Lite, account SAS, service SAS (with stored access policies), user
// delegation SAS, bearer tokens (kiln serve --oauth), or anonymous
// access as the container's public access level allows. Throws the AzureError
// Azure gives (AuthenticationFailed, AuthorizationPermissionMismatch, ...).
#pragma once

#include <functional>
#include <optional>

#include "blob/records.h"
#include "blob/request_context.h"
#include "core/http_types.h"

namespace kiln::blob {

// Loads the addressed container (for stored policies and public access); nullopt if absent.
using ContainerLoader = std::function<std::optional<ContainerRecord>()>;

// Authorizes `req` for ctx.op; sets ctx.anonymous for public reads, ctx.bearer
// for a bearer token (taken only when `accept_bearer_tokens`: oauth.h).
void authorize(const http::Request& req, RequestContext& ctx, const ContainerLoader& load_container,
               bool accept_bearer_tokens);

// Verifies a SAS (service or account) of this service for reading the blob
// `container`/`blob` (its `snapshot` or `version_id`) — the source of Copy Blob given as a URL. Throws
// CannotVerifyCopySource-style errors are left to the caller: this throws the
// same errors authorize() would.
void authorize_sas_read(const std::vector<std::pair<std::string, std::string>>& query, const Account& account,
                        const std::string& container, const std::string& blob, const std::string& snapshot,
                        const std::string& version_id, const std::string& remote_address, bool secure, int64_t now_us,
                        const ContainerLoader& load_container);

}  // namespace kiln::blob
