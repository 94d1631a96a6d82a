#include "transfer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <pugixml.hpp>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/crypto.h"
#include "core/url.h"
#include "http_wire.h"

namespace kiln::bench {
namespace {

using Clock = std::chrono::steady_clock;
const std::string kApiVersion = "x-ms-version: 2021-12-02";

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// One keep-alive connection with blocking I/O (2-minute timeouts).
class Connection {
 public:
  Connection(const std::string& host, uint16_t port) : host_header_(host + ":" + std::to_string(port)) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{120, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
        connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
      close(fd_);
      throw std::runtime_error("cannot connect to " + host_header_);
    }
  }
  ~Connection() { close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends one request and reads its whole response into `parser`.
  void request(const std::string& method, const std::string& target, const std::vector<std::string>& headers,
               std::string_view body, ResponseParser& parser) {
    bool has_body = method == "PUT" || method == "POST";
    std::string head = request_head(method, target, host_header_, headers,
                                    has_body ? static_cast<long long>(body.size()) : -1);
    send_all(head);
    send_all(body);
    parser.reset();
    std::vector<char> buf(256 * 1024);
    while (!parser.done()) {
      ssize_t r = recv(fd_, buf.data(), buf.size(), 0);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw std::runtime_error(std::string("recv: ") + strerror(errno));
      if (r == 0) parser.feed_eof();
      else parser.feed(buf.data(), static_cast<size_t>(r));
      if (parser.failed()) throw std::runtime_error("malformed or truncated response");
    }
  }

 private:
  void send_all(std::string_view data) {
    while (!data.empty()) {
      ssize_t w = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) throw std::runtime_error(std::string("send: ") + strerror(errno));
      data.remove_prefix(static_cast<size_t>(w));
    }
  }

  int fd_ = -1;
  std::string host_header_;
};

url::Url parse_url(const std::string& s) {
  auto u = url::parse(s);
  if (!u || u->scheme != "http") throw std::runtime_error("expected an http:// URL: " + s);
  return *u;
}

std::string describe(const ResponseParser& p) {
  std::string code = p.header("x-ms-error-code");
  return "status " + std::to_string(p.status()) + (code.empty() ? "" : " " + code);
}

// Samples a process's resident set size (VmRSS) every 10 ms while alive.
class RssWatcher {
 public:
  explicit RssWatcher(int pid) {
    if (pid <= 0) return;
    path_ = "/proc/" + std::to_string(pid) + "/status";
    thread_ = std::thread([this] {
      while (!stop_) {
        sample();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      sample();
    });
  }
  ~RssWatcher() { stop(); }
  uint64_t stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return peak_kib_;
  }

 private:
  void sample() {
    std::ifstream in(path_);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) {
        uint64_t kib = std::strtoull(line.c_str() + 6, nullptr, 10);
        if (kib > peak_kib_) peak_kib_ = kib;
        return;
      }
    }
  }
  std::string path_;
  std::atomic<bool> stop_{false};
  uint64_t peak_kib_ = 0;
  std::thread thread_;
};

std::string block_id(uint64_t index) {
  char raw[32];
  std::snprintf(raw, sizeof raw, "block-%08llu", static_cast<unsigned long long>(index));
  return crypto::base64_encode(raw);
}

}  // namespace

TransferResult staged_upload(const std::string& blob_url, uint64_t size, uint64_t block_size, int connections,
                             int watch_pid) {
  TransferResult result;
  url::Url u = parse_url(blob_url);
  uint64_t blocks = (size + block_size - 1) / block_size;
  // One pseudo-random block shared by all; each request stamps its index into a private copy.
  std::string pattern(block_size, '\0');
  std::mt19937_64 rng(42);
  for (size_t i = 0; i + 8 <= pattern.size(); i += 8) {
    uint64_t v = rng();
    std::memcpy(&pattern[i], &v, 8);
  }
  std::atomic<uint64_t> next{0};
  std::mutex mu;
  RssWatcher watcher(watch_pid);
  auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, connections); ++t) {
    pool.emplace_back([&] {
      try {
        Connection conn(u.host, u.port);
        std::string body = pattern;
        ResponseParser parser;
        for (uint64_t i = next++; i < blocks; i = next++) {
          uint64_t len = std::min(block_size, size - i * block_size);
          std::memcpy(body.data(), &i, sizeof i);
          std::string target = u.path + "?comp=block&blockid=" + url::encode(block_id(i)) + "&" + u.query;
          conn.request("PUT", target, {kApiVersion}, std::string_view(body).substr(0, len), parser);
          if (parser.status() != 201) throw std::runtime_error("Put Block: " + describe(parser));
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(mu);
        if (result.error.empty()) result.error = e.what();
        next = blocks;  // stop the others
      }
    });
  }
  for (auto& th : pool) th.join();
  if (result.error.empty()) {
    std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
    for (uint64_t i = 0; i < blocks; ++i) xml += "<Latest>" + block_id(i) + "</Latest>";
    xml += "</BlockList>";
    auto commit_start = Clock::now();
    try {
      Connection conn(u.host, u.port);
      ResponseParser parser;
      conn.request("PUT", u.path + "?comp=blocklist&" + u.query, {kApiVersion, "Content-Type: application/xml"}, xml,
                    parser);
      if (parser.status() != 201) result.error = "Put Block List: " + describe(parser);
    } catch (const std::exception& e) {
      result.error = e.what();
    }
    result.commit_seconds = since(commit_start);
  }
  result.seconds = since(start);
  result.peak_rss_kib = watcher.stop();
  result.bytes = result.error.empty() ? size : 0;
  result.mb_per_second = static_cast<double>(result.bytes) / result.seconds / 1e6;
  return result;
}

TransferResult download(const std::string& url_text, long long expect_size, int watch_pid) {
  TransferResult result;
  url::Url u = parse_url(url_text);
  RssWatcher watcher(watch_pid);
  auto start = Clock::now();
  try {
    Connection conn(u.host, u.port);
    ResponseParser parser;
    conn.request("GET", u.target(), {kApiVersion}, {}, parser);
    if (parser.status() != 200) result.error = "GET: " + describe(parser);
    else if (expect_size >= 0 && parser.body_bytes() != static_cast<uint64_t>(expect_size))
      result.error = "GET returned " + std::to_string(parser.body_bytes()) + " bytes";
    result.bytes = parser.body_bytes();
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  result.seconds = since(start);
  result.peak_rss_kib = watcher.stop();
  result.mb_per_second = static_cast<double>(result.bytes) / result.seconds / 1e6;
  return result;
}

ListResult list_all(const std::string& container_url, int max_results, long long expect_blobs, double min_seconds) {
  ListResult result;
  url::Url u = parse_url(container_url);
  auto start = Clock::now();
  try {
    Connection conn(u.host, u.port);
    ResponseParser parser(/*keep_body=*/true);
    do {
      std::string marker;
      uint64_t pass_blobs = 0;
      int pages = 0;
      do {
        std::string target = u.path + "?restype=container&comp=list&maxresults=" + std::to_string(max_results) +
                             (marker.empty() ? "" : "&marker=" + url::encode(marker)) + "&" + u.query;
        conn.request("GET", target, {kApiVersion}, {}, parser);
        if (parser.status() != 200) throw std::runtime_error("List Blobs: " + describe(parser));
        pugi::xml_document doc;
        if (!doc.load_buffer(parser.body().data(), parser.body().size()))
          throw std::runtime_error("List Blobs: unparsable XML");
        pugi::xml_node root = doc.child("EnumerationResults");
        for (pugi::xml_node b = root.child("Blobs").child("Blob"); b; b = b.next_sibling("Blob")) ++pass_blobs;
        marker = root.child_value("NextMarker");
        ++pages;
      } while (!marker.empty());
      if (expect_blobs >= 0 && pass_blobs != static_cast<uint64_t>(expect_blobs))
        throw std::runtime_error("listed " + std::to_string(pass_blobs) + " blobs, expected " +
                                 std::to_string(expect_blobs));
      result.blobs += pass_blobs;
      result.pages = pages;
      ++result.passes;
    } while (since(start) < min_seconds && result.passes < 1000);
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  result.seconds = since(start);
  result.blobs_per_second = static_cast<double>(result.blobs) / result.seconds;
  return result;
}

}  // namespace kiln::bench
