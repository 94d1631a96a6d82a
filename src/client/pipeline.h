// The request pipeline shared by BlobServiceClient and BatchClient: stamp the
// date and version headers, sign with Shared Key, send, retry what Azure says
// may be retried, and turn error responses into ServiceError.
// Internal to the client library (not under include/).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/http_client.h"
#include "core/shared_key.h"
#include "kiln/client_options.h"
#include "kiln/credentials.h"
#include "kiln/errors.h"

namespace kiln::client::detail {

// Builds the exception for an error response of each service's format.
ServiceError parse_blob_error(const http::ClientResponse& response);
ServiceError parse_batch_error(const http::ClientResponse& response);

// Thread-safe: one request at a time goes through the underlying connection.
class Pipeline {
 public:
  // Signs every request with `credential`.
  Pipeline(shared_key::Service service, SharedKeyCredential credential, ClientOptions options);
  // Authorises with a SAS token (query string) appended to every URL instead.
  Pipeline(shared_key::Service service, std::string sas_token, ClientOptions options);

  // Sends the request and returns a successful (< 400) response. `headers` are
  // the operation's own headers; date, version, request id, Content-Length and
  // Authorization are added here (fresh for every attempt). Throws ServiceError
  // for an error status and TransportError when the connection keeps failing.
  http::ClientResponse send(std::string_view method, const std::string& url, http::Headers headers,
                            std::string_view body = {});

  // Throws Error for a pipeline authorised by SAS.
  const SharedKeyCredential& credential() const;

 private:
  std::string with_sas(const std::string& url) const;
  void sign(std::string_view method, const std::string& url, http::Headers& headers,
            size_t body_size) const;
  ServiceError to_error(const http::ClientResponse& response) const;

  shared_key::Service service_;
  std::optional<SharedKeyCredential> credential_;
  std::string sas_token_;  // without leading '?'; empty when signing with a key
  ClientOptions options_;
  std::mutex mutex_;
  http::HttpClient http_;
};

// Sleeps the policy's backoff for `attempt` (1-based), or longer if the service
// sent a Retry-After (seconds).
void wait_before_retry(const RetryPolicy& policy, int attempt, const http::Headers* response_headers);

}  // namespace kiln::client::detail
