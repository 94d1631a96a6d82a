// kiln-blob-loadgen: the load generator of bench/blob. Each subcommand runs one
// workload against one server and prints a single JSON object on stdout, which
// bench/blob/run.sh collects and bench/blob/report.py turns into the table.
//
//   rate      closed-loop GET or PUT requests: ops/s, p50/p99 latency
//   upload    staged upload (Put Block × N + Put Block List): MB/s, server peak RSS
//   download  one streamed GET: MB/s, server peak RSS
//   list      paged List Blobs over a whole container, repeated: blobs/s
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>

#include "rate_load.h"
#include "transfer.h"

using nlohmann::json;
using namespace kiln::bench;

namespace {

// Splits "http://127.0.0.1:8080/path?q" into host, port and target for the rate load.
bool split_url(const std::string& url, RateOptions& o) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return false;
  size_t slash = url.find('/', scheme.size());
  std::string authority = url.substr(scheme.size(), slash == std::string::npos ? std::string::npos : slash - scheme.size());
  size_t colon = authority.rfind(':');
  if (colon == std::string::npos) return false;
  o.host = authority.substr(0, colon);
  o.port = std::stoi(authority.substr(colon + 1));
  o.target = slash == std::string::npos ? "/" : url.substr(slash);
  return true;
}

double round3(double x) { return static_cast<double>(static_cast<long long>(x * 1000 + 0.5)) / 1000; }

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"Load generator for Kiln's Blob benchmark (bench/blob/run.sh)"};
  app.require_subcommand(1);

  RateOptions rate;
  std::string rate_url;
  long long body_size = 0;
  CLI::App* rate_cmd = app.add_subcommand("rate", "Closed-loop GET/PUT requests for a bounded time or count");
  rate_cmd->add_option("--url", rate_url, "http://host:port/target ({n} = request number)")->required();
  rate_cmd->add_option("--method", rate.method, "GET or PUT");
  rate_cmd->add_option("--body-size", body_size, "bytes of request body (PUT)");
  rate_cmd->add_option("--header", rate.headers, "extra header 'Name: value' (repeatable)");
  rate_cmd->add_option("--connections", rate.connections, "concurrent connections");
  rate_cmd->add_option("--threads", rate.threads, "client threads (each runs one epoll loop)");
  rate_cmd->add_option("--warmup", rate.warmup_seconds, "seconds not measured at the start");
  rate_cmd->add_option("--seconds", rate.seconds, "measured seconds");
  rate_cmd->add_option("--count", rate.max_requests, "send exactly this many requests instead (no warm-up)");
  rate_cmd->add_option("--expect-bytes", rate.expect_body_bytes, "response body size that counts as success");

  std::string url;
  uint64_t size = 0, block = 8ull << 20;
  int connections = 1, watch_pid = 0;
  CLI::App* up_cmd = app.add_subcommand("upload", "Staged upload of a new block blob");
  up_cmd->add_option("--url", url, "blob URL with SAS")->required();
  up_cmd->add_option("--size", size, "bytes")->required();
  up_cmd->add_option("--block-size", block, "bytes per Put Block");
  up_cmd->add_option("--connections", connections, "blocks in flight");
  up_cmd->add_option("--watch-pid", watch_pid, "server process whose peak RSS to report");

  long long expect_size = -1;
  CLI::App* down_cmd = app.add_subcommand("download", "One streamed GET");
  down_cmd->add_option("--url", url, "URL (with SAS for blobs)")->required();
  down_cmd->add_option("--expect-bytes", expect_size, "expected body size");
  down_cmd->add_option("--watch-pid", watch_pid, "server process whose peak RSS to report");

  int max_results = 5000;
  long long expect_blobs = -1;
  double min_seconds = 2;
  CLI::App* list_cmd = app.add_subcommand("list", "Paged List Blobs of a whole container, repeated");
  list_cmd->add_option("--url", url, "container URL with SAS")->required();
  list_cmd->add_option("--max-results", max_results, "maxresults per page");
  list_cmd->add_option("--expect", expect_blobs, "blobs the container holds");
  list_cmd->add_option("--min-seconds", min_seconds, "repeat whole listings for at least this long");

  CLI11_PARSE(app, argc, argv);

  json out;
  try {
    if (*rate_cmd) {
      if (!split_url(rate_url, rate)) throw std::runtime_error("expected http://host:port/... : " + rate_url);
      rate.body.assign(static_cast<size_t>(body_size), 'k');
      RateResult r = run_rate_load(rate);
      out = {{"ok", r.ok},
             {"errors", r.errors},
             {"seconds", round3(r.seconds)},
             {"ops_per_s", round3(r.ops_per_second)},
             {"p50_ms", round3(r.p50_ms)},
             {"p99_ms", round3(r.p99_ms)},
             {"max_ms", round3(r.max_ms)},
             {"first_error", r.first_error}};
    } else if (*up_cmd || *down_cmd) {
      TransferResult r = *up_cmd ? staged_upload(url, size, block, connections, watch_pid)
                                 : download(url, expect_size, watch_pid);
      out = {{"bytes", r.bytes},
             {"seconds", round3(r.seconds)},
             {"mb_per_s", round3(r.mb_per_second)},
             {"peak_rss_kib", r.peak_rss_kib},
             {"commit_seconds", round3(r.commit_seconds)},
             {"error", r.error}};
    } else {
      ListResult r = list_all(url, max_results, expect_blobs, min_seconds);
      out = {{"blobs", r.blobs},       {"passes", r.passes},
             {"pages", r.pages},       {"seconds", round3(r.seconds)},
             {"blobs_per_s", round3(r.blobs_per_second)}, {"error", r.error}};
    }
  } catch (const std::exception& e) {
    out = {{"error", e.what()}};
    std::cout << out.dump() << std::endl;
    return 1;
  }
  std::cout << out.dump() << std::endl;
  return 0;
}
