// Options shared by BlobServiceClient and BatchClient: transport and retries.
#pragma once

#include <chrono>
#include <string>

namespace kiln::client {

// Which failures are retried, and how long to wait between attempts.
//
// Retried, as Azure documents: HTTP 408, 429, 500, 502, 503, 504 and any other
// 5xx except 501 and 505, plus connection failures (refused, reset, timeout).
// The wait before retry n (n = 1, 2, ...) is initial_delay * 2^(n-1), capped at
// max_delay, with up to 20% random jitter; a Retry-After header from the
// service is honoured when it asks for longer.
struct RetryPolicy {
  int max_retries = 4;  // attempts after the first; 0 disables retries
  std::chrono::milliseconds initial_delay{200};
  std::chrono::milliseconds max_delay{10000};

  // True if a response with this HTTP status may be retried.
  static bool is_retryable_status(int status);
  // The wait before retry `attempt` (1-based), without jitter.
  std::chrono::milliseconds backoff(int attempt) const;
};

struct ClientOptions {
  RetryPolicy retry;
  std::string ca_file;      // extra PEM CA certificate(s) to trust, e.g. Kiln's dev certificate
  bool verify_tls = true;
  int timeout_ms = 120000;  // per network operation
};

}  // namespace kiln::client
