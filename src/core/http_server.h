// An HTTP/1.1 server (optionally TLS) that hands each parsed request to a
// synchronous handler. One thread serves each connection, so handlers may block
// (e.g. on fsync) without stalling other clients. start() ignores SIGPIPE
// process-wide: file bodies go out with sendfile(2), which has no MSG_NOSIGNAL.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/http_types.h"

namespace kiln::http {

using Handler = std::function<void(Request&, Response&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;              // 0 picks a free port (tests)
  std::string tls_cert_file;      // PEM; TLS is on when both files are set
  std::string tls_key_file;
  uint64_t max_body_bytes = 256ull << 20;  // larger bodies get `too_large`
  size_t max_header_bytes = 64 << 10;
  size_t max_connections = 2048;
  // Asked for each request with a body, once its head is parsed: a sink takes
  // the body chunk by chunk (memory stays flat, up to max_spooled_body_bytes)
  // instead of req.body; nullptr keeps the body in memory (up to max_body_bytes).
  std::function<std::shared_ptr<BodySink>(const Request& head)> spool_body;
  uint64_t max_spooled_body_bytes = 5000ull << 20;  // Azure's largest Put Blob
  // Called instead of the handler when a request cannot be parsed or is too large;
  // lets each service answer in its own error format. status is 400/413/431.
  std::function<void(int status, const Request& partial, Response&)> on_bad_request;
};

class HttpServer {
 public:
  HttpServer(ServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting on a background thread. Throws on bind failure.
  void start();
  // Stops accepting, closes connections and joins threads. Idempotent.
  void stop();
  uint16_t port() const;  // the bound port (valid after start)
  bool tls() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::http
