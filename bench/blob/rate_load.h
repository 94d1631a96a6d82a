// Closed-loop request-rate load: `connections` keep-alive connections, each
// sending its next request as soon as the previous response has arrived, for a
// bounded time or a bounded number of requests. One epoll loop per client thread
// drives many connections, so the client spends its CPU on syscalls, not on
// context switches (the server under test shares the machine's 2 cores).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::bench {

struct RateOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string method = "GET";
  // Request target; each "{n}" is replaced by a run-unique request number, so
  // PUTs create distinct blobs.
  std::string target;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent with every request (PUT)
  int connections = 1;
  int threads = 1;
  double warmup_seconds = 0.5;       // requests finishing earlier are not counted
  double seconds = 5;                // measured window (after warm-up)
  uint64_t max_requests = 0;         // >0: send exactly this many (no warm-up), then stop
  long long expect_body_bytes = -1;  // >=0: a response with another body size is an error
};

struct RateResult {
  uint64_t ok = 0;
  uint64_t errors = 0;
  double seconds = 0;
  double ops_per_second = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  std::string first_error;  // e.g. "status 403 AuthenticationFailed"
};

// Runs the load; throws std::runtime_error if no connection can be made at all.
RateResult run_rate_load(const RateOptions& options);

}  // namespace kiln::bench
