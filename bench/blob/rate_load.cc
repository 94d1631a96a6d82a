#include "rate_load.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "http_wire.h"

namespace kiln::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Shared by the client threads of one run.
struct Shared {
  const RateOptions* options;
  std::string target_prefix, target_suffix;  // around "{n}"; suffix unused when no "{n}"
  bool numbered = false;
  std::atomic<uint64_t> next_number{0};
  std::atomic<uint64_t> issued{0};
  Clock::time_point measure_from, stop_at;
  std::mutex mu;
  RateResult total;
  std::vector<uint32_t> latencies_us;
};

struct Conn {
  int fd = -1;
  std::string out;
  size_t out_off = 0;
  bool want_write = false;
  bool busy = false;  // a request is in flight
  Clock::time_point started;
  ResponseParser parser;
};

int connect_to(const RateOptions& o) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(o.port));
  inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

class Loop {
 public:
  Loop(Shared& shared, int connections) : s_(shared), conns_(connections) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
  }
  ~Loop() {
    for (auto& c : conns_)
      if (c.fd >= 0) close(c.fd);
    close(ep_);
  }

  void run() {
    const RateOptions& o = *s_.options;
    for (size_t i = 0; i < conns_.size(); ++i) {
      if (!open(i)) throw std::runtime_error("cannot connect to " + o.host + ":" + std::to_string(o.port));
      start_request(i);
    }
    epoll_event events[256];
    while (true) {
      bool any_busy = std::any_of(conns_.begin(), conns_.end(), [](const Conn& c) { return c.busy; });
      if (!any_busy) break;
      if (o.max_requests == 0 && Clock::now() >= s_.stop_at) break;
      int n = epoll_wait(ep_, events, 256, 50);
      for (int k = 0; k < n; ++k) {
        size_t i = events[k].data.u64;
        if (events[k].events & EPOLLOUT) flush(i);
        if (events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_ready(i);
      }
    }
    std::lock_guard lock(s_.mu);
    s_.total.ok += ok_;
    s_.total.errors += errors_;
    if (s_.total.first_error.empty()) s_.total.first_error = first_error_;
    s_.latencies_us.insert(s_.latencies_us.end(), latencies_.begin(), latencies_.end());
  }

 private:
  bool open(size_t i) {
    Conn& c = conns_[i];
    c.fd = connect_to(*s_.options);
    if (c.fd < 0) return false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
    c.want_write = false;
    return true;
  }

  void reopen(size_t i) {
    Conn& c = conns_[i];
    if (c.fd >= 0) {
      epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
      close(c.fd);
      c.fd = -1;
    }
    open(i);
  }

  void start_request(size_t i) {
    Conn& c = conns_[i];
    const RateOptions& o = *s_.options;
    c.busy = false;
    if (o.max_requests > 0) {
      if (s_.issued.fetch_add(1) >= o.max_requests) return;
    } else if (Clock::now() >= s_.stop_at) {
      return;
    }
    if (c.fd < 0 && !open(i)) {
      ++errors_;  // this connection stays idle from now on
      if (first_error_.empty()) first_error_ = "connect failed";
      return;
    }
    std::string target = s_.target_prefix;
    if (s_.numbered) target.append(std::to_string(s_.next_number.fetch_add(1))).append(s_.target_suffix);
    bool has_body = o.method == "PUT" || o.method == "POST" || !o.body.empty();
    c.out = request_head(o.method, target, host_header(), o.headers,
                         has_body ? static_cast<long long>(o.body.size()) : -1);
    c.out.append(o.body);
    c.out_off = 0;
    c.parser.reset();
    c.busy = true;
    c.started = Clock::now();
    flush(i);
  }

  const std::string& host_header() {
    if (host_.empty()) host_ = s_.options->host + ":" + std::to_string(s_.options->port);
    return host_;
  }

  void set_write_interest(size_t i, bool want) {
    Conn& c = conns_[i];
    if (c.want_write == want) return;
    c.want_write = want;
    epoll_event ev{};
    ev.events = want ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void flush(size_t i) {
    Conn& c = conns_[i];
    while (c.out_off < c.out.size()) {
      ssize_t w = send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (w > 0) {
        c.out_off += static_cast<size_t>(w);
      } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        set_write_interest(i, true);
        return;
      } else if (w < 0 && errno == EINTR) {
        continue;
      } else {
        fail(i, std::string("send: ") + strerror(errno));
        return;
      }
    }
    set_write_interest(i, false);
  }

  void read_ready(size_t i) {
    Conn& c = conns_[i];
    char buf[65536];
    while (c.busy) {
      ssize_t r = recv(c.fd, buf, sizeof buf, 0);
      if (r > 0) {
        size_t used = c.parser.feed(buf, static_cast<size_t>(r));
        if (c.parser.failed() || (c.parser.done() && used != static_cast<size_t>(r))) {
          fail(i, "malformed response");
          return;
        }
        if (c.parser.done()) {
          complete(i);
          return;
        }
      } else if (r == 0) {
        c.parser.feed_eof();
        if (c.parser.done()) complete(i);
        else fail(i, "connection closed by server");
        return;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return;
      } else if (errno != EINTR) {
        fail(i, std::string("recv: ") + strerror(errno));
        return;
      }
    }
    if (!c.busy) {
      // Unsolicited bytes or close on an idle connection: drop it.
      ssize_t r = recv(c.fd, buf, sizeof buf, 0);
      if (r == 0 || (r < 0 && errno != EAGAIN)) reopen(i);
    }
  }

  void complete(size_t i) {
    Conn& c = conns_[i];
    auto now = Clock::now();
    const RateOptions& o = *s_.options;
    bool counted = o.max_requests > 0 || (c.started >= s_.measure_from && now <= s_.stop_at);
    bool good = c.parser.status() >= 200 && c.parser.status() < 300 &&
                (o.expect_body_bytes < 0 || c.parser.body_bytes() == static_cast<uint64_t>(o.expect_body_bytes));
    if (counted) {
      if (good) {
        ++ok_;
        latencies_.push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now - c.started).count()));
      } else {
        ++errors_;
        if (first_error_.empty()) {
          first_error_ = "status " + std::to_string(c.parser.status()) + " " + c.parser.header("x-ms-error-code") +
                         " body bytes " + std::to_string(c.parser.body_bytes());
        }
      }
    }
    if (!c.parser.keep_alive()) reopen(i);
    start_request(i);
  }

  void fail(size_t i, const std::string& why) {
    ++errors_;
    if (first_error_.empty()) first_error_ = why;
    if (errors_ > 1000 && ok_ == 0) throw std::runtime_error("every request fails: " + first_error_);
    reopen(i);
    start_request(i);
  }

  Shared& s_;
  std::vector<Conn> conns_;
  int ep_ = -1;
  std::string host_;
  uint64_t ok_ = 0, errors_ = 0;
  std::string first_error_;
  std::vector<uint32_t> latencies_;
};

double percentile_ms(std::vector<uint32_t>& v, double q) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k] / 1000.0;
}

}  // namespace

RateResult run_rate_load(const RateOptions& options) {
  Shared s;
  s.options = &options;
  size_t brace = options.target.find("{n}");
  s.numbered = brace != std::string::npos;
  s.target_prefix = options.target.substr(0, brace);
  if (s.numbered) s.target_suffix = options.target.substr(brace + 3);

  auto start = Clock::now();
  auto secs = [](double x) { return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(x)); };
  bool counted_run = options.max_requests > 0;
  s.measure_from = counted_run ? start : start + secs(options.warmup_seconds);
  s.stop_at = counted_run ? Clock::time_point::max() : s.measure_from + secs(options.seconds);

  int threads = std::max(1, std::min(options.threads, options.connections));
  std::vector<std::thread> pool;
  std::mutex err_mu;
  std::string fatal;
  for (int t = 0; t < threads; ++t) {
    int n = options.connections / threads + (t < options.connections % threads ? 1 : 0);
    pool.emplace_back([&, n] {
      try {
        Loop loop(s, n);
        loop.run();
      } catch (const std::exception& e) {
        std::lock_guard lock(err_mu);
        fatal = e.what();
      }
    });
  }
  for (auto& th : pool) th.join();
  if (!fatal.empty() && s.total.ok == 0) throw std::runtime_error(fatal);

  RateResult r = s.total;
  auto end = Clock::now();
  r.seconds = counted_run ? std::chrono::duration<double>(end - start).count() : options.seconds;
  r.ops_per_second = r.seconds > 0 ? static_cast<double>(r.ok) / r.seconds : 0;
  r.p50_ms = percentile_ms(s.latencies_us, 0.50);
  r.p99_ms = percentile_ms(s.latencies_us, 0.99);
  r.max_ms = s.latencies_us.empty() ? 0 : *std::max_element(s.latencies_us.begin(), s.latencies_us.end()) / 1000.0;
  return r;
}

}  // namespace kiln::bench
