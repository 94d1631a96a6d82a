// A small blocking HTTP/1.1 client (HTTP and HTTPS) for Kiln's own outbound
// calls: node agents downloading resource files and uploading outputs, the C++
// client library, and tests. Names under *.localhost resolve to loopback, as
// browsers and curl do. Connections are kept alive and reused per host:port.
// Not thread-safe: use one HttpClient per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/http_types.h"

namespace kiln::http {

// Connection-level failure (refused, reset, TLS, timeout); HTTP error statuses
// are returned as responses, not thrown.
struct ClientError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ClientOptions {
  std::string ca_file;        // extra PEM CA bundle to trust (e.g. Kiln's dev certificate)
  bool verify_tls = true;
  int timeout_ms = 120000;    // per operation
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;  // empty when a sink consumed it
};

class HttpClient {
 public:
  explicit HttpClient(ClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `method url` with headers and body; Content-Length and Host are set.
  ClientResponse send(std::string_view method, std::string_view url, const Headers& headers,
                      std::string_view body = {});
  // Like send(), but streams the response body to `sink` in chunks (bounded memory).
  ClientResponse send(std::string_view method, std::string_view url, const Headers& headers,
                      std::string_view body, const std::function<void(std::string_view)>& sink);
  // The same, with `on_head` shown the status and headers before any of the
  // body reaches `sink` (it may throw to stop reading).
  ClientResponse send(std::string_view method, std::string_view url, const Headers& headers,
                      std::string_view body, const std::function<void(const ClientResponse& head)>& on_head,
                      const std::function<void(std::string_view)>& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::http
