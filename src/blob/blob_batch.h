// Blob Batch (POST ?comp=batch, at the service or a container): up to 256
// Delete Blob or Set Blob Tier sub-requests in one multipart/mixed request,
// each authorized and run as if sent alone (BlobService::run_batch).
#pragma once

#include "core/accounts.h"
#include "core/http_types.h"

namespace kiln::blob {

// The Python SDK leaves the account out of batch URLs on path-style endpoints
// ("/container?restype=container&comp=batch"; "/container/blob" inside). For
// a batch request whose first path segment is no account, the account is put
// back into `req.path` (not `raw_path`, which was signed as sent): the one
// named by a Shared Key Authorization header, else the first configured one.
void address_batch(http::Request& req, const AccountRegistry& accounts);

}  // namespace kiln::blob
