#include "core/http_server.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <future>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/http_client.h"

namespace kiln::http {

TEST(HttpServer, RoundTripsRequestAndResponse) {
  HttpServer server({}, [](Request& req, Response& res) {
    res.status = 201;
    res.headers.set("x-path", req.path);
    res.headers.set("x-q", req.query_param("a").value_or("none"));
    res.body = req.method + ":" + req.body;
  });
  server.start();
  HttpClient client;
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  Headers h;
  auto r = client.send("PUT", base + "/x%20y?a=1%2B2", h, "hello");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.headers.get("x-path"), "/x y");
  EXPECT_EQ(r.headers.get("x-q"), "1+2");
  EXPECT_EQ(r.body, "PUT:hello");
  // The kept-alive connection is reused for a second request.
  r = client.send("GET", base + "/again", h);
  EXPECT_EQ(r.body, "GET:");
  server.stop();
}

TEST(HttpServer, StreamsFileBodiesAndHonoursHead) {
  char path[] = "/tmp/kiln-http-test-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string data(1 << 20, 'x');
  data[12345] = 'y';
  ASSERT_EQ(write(fd, data.data(), data.size()), ssize_t(data.size()));
  unlink(path);
  auto shared = FileBody::adopt(fd);
  HttpServer server({}, [&](Request&, Response& res) { res.file = FileBody{shared, 100, 900000}; });
  server.start();
  HttpClient client;
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/f";
  auto r = client.send("GET", url, {});
  EXPECT_EQ(r.body, data.substr(100, 900000));
  r = client.send("HEAD", url, {});
  EXPECT_EQ(r.headers.get("Content-Length"), "900000");
  EXPECT_TRUE(r.body.empty());
}

TEST(HttpServer, StreamsSeveralFileRangesInOrder) {
  char path[] = "/tmp/kiln-http-test-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string data;
  for (int i = 0; i < 600000; ++i) data += char('a' + i % 26);
  ASSERT_EQ(write(fd, data.data(), data.size()), ssize_t(data.size()));
  unlink(path);
  auto shared = FileBody::adopt(fd);
  HttpServer server({}, [&](Request&, Response& res) {
    res.files = {FileBody{shared, 500000, 100000}, FileBody{shared, 3, 7}, FileBody{shared, 0, 300000}};
  });
  server.start();
  HttpClient client;
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/f";
  auto r = client.send("GET", url, {});
  EXPECT_EQ(r.body, data.substr(500000, 100000) + data.substr(3, 7) + data.substr(0, 300000));
  r = client.send("HEAD", url, {});
  EXPECT_EQ(r.headers.get("Content-Length"), "400007");
  EXPECT_TRUE(r.body.empty());
}

TEST(HttpServer, OversizeBodyGoesToBadRequestHook) {
  ServerOptions opts;
  opts.max_body_bytes = 10;
  opts.on_bad_request = [](int status, const Request&, Response& res) {
    res.body = "bad:" + std::to_string(status);
  };
  bool called = false;
  HttpServer server(opts, [&](Request&, Response&) { called = true; });
  server.start();
  HttpClient client;
  auto r = client.send("PUT", "http://127.0.0.1:" + std::to_string(server.port()) + "/",
                       {}, std::string(100, 'a'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, "bad:413");
  EXPECT_FALSE(called);
}

struct CollectingSink : BodySink {
  std::string data;
  size_t appends = 0;
  bool finished = false;
  void append(const char* d, size_t n) override {
    data.append(d, n);
    ++appends;
  }
  void finish() override { finished = true; }
};

TEST(HttpServer, SpoolsTheBodiesTheServiceAsksFor) {
  ServerOptions opts;
  opts.max_body_bytes = 1000;  // in-memory bodies stay small
  opts.max_spooled_body_bytes = 8 << 20;
  opts.spool_body = [](const Request& head) -> std::shared_ptr<BodySink> {
    if (head.path != "/spool") return nullptr;
    return std::make_shared<CollectingSink>();
  };
  opts.on_bad_request = [](int status, const Request&, Response& res) { res.body = "bad:" + std::to_string(status); };
  std::string seen;
  HttpServer server(opts, [&](Request& req, Response& res) {
    auto* sink = dynamic_cast<CollectingSink*>(req.body_sink.get());
    res.body = sink ? "spooled:" + std::to_string(sink->data.size()) + (sink->finished ? ":finished" : "")
                    : "memory:" + req.body;
    if (sink) {
      seen = sink->data;
      EXPECT_TRUE(req.body.empty());
      EXPECT_GT(sink->appends, 1u);  // it arrived in bounded chunks
    }
  });
  server.start();
  HttpClient client;
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  std::string big(5 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4099) big[i] = char('a' + i % 26);
  auto r = client.send("PUT", base + "/spool", {}, big);
  EXPECT_EQ(r.body, "spooled:5242880:finished");
  EXPECT_TRUE(seen == big);
  // The same connection then serves an in-memory body, and the limits apply per kind.
  r = client.send("PUT", base + "/memory", {}, "small");
  EXPECT_EQ(r.body, "memory:small");
  r = client.send("PUT", base + "/memory", {}, std::string(2000, 'a'));
  EXPECT_EQ(r.body, "bad:413");
}

TEST(HttpServer, SpooledBodiesHaveTheirOwnLimit) {
  ServerOptions opts;
  opts.max_spooled_body_bytes = 1000;
  opts.spool_body = [](const Request&) { return std::make_shared<CollectingSink>(); };
  opts.on_bad_request = [](int status, const Request&, Response& res) { res.body = "bad:" + std::to_string(status); };
  HttpServer server(opts, [&](Request&, Response& res) { res.body = "ok"; });
  server.start();
  HttpClient client;
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  EXPECT_EQ(client.send("PUT", url, {}, std::string(1000, 'a')).body, "ok");
  EXPECT_EQ(client.send("PUT", url, {}, std::string(1001, 'a')).body, "bad:413");
}

TEST(HttpServer, ARefusedBodyIsReadAndDroppedNotHeld) {
  ServerOptions opts;
  opts.max_body_bytes = 1000;  // far below the body: it must not be held
  opts.spool_body = [](const Request&) { return std::make_shared<DiscardBody>(); };
  std::string seen_body = "unset";
  HttpServer server(opts, [&](Request& req, Response& res) {
    seen_body = req.body;
    res.status = 403;
    res.body = "refused";
  });
  server.start();
  HttpClient client;
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  auto r = client.send("PUT", url, {}, std::string(5 << 20, 'a'));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, "refused");
  EXPECT_EQ(seen_body, "");
  EXPECT_EQ(client.send("PUT", url, {}, "x").status, 403);  // and the server goes on serving
}

TEST(HttpServer, ASinkThatFailsGetsA500AndTheConnectionCloses) {
  struct FailingSink : BodySink {
    void append(const char*, size_t) override { throw std::runtime_error("disk full"); }
    void finish() override {}
  };
  ServerOptions opts;
  opts.spool_body = [](const Request&) { return std::make_shared<FailingSink>(); };
  bool called = false;
  HttpServer server(opts, [&](Request&, Response&) { called = true; });
  server.start();
  HttpClient client;
  auto r = client.send("PUT", "http://127.0.0.1:" + std::to_string(server.port()) + "/", {}, std::string(1 << 20, 'a'));
  EXPECT_EQ(r.status, 500);
  EXPECT_FALSE(called);
}

// Sends `bytes` on a fresh connection and returns everything the server sends
// back until it closes the connection (or `until` appears in it).
std::string raw_exchange(uint16_t port, const std::string& bytes, const std::string& until = "") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("connect");
  if (::send(fd, bytes.data(), bytes.size(), 0) != ssize_t(bytes.size())) throw std::runtime_error("send");
  std::string got;
  char buf[4096];
  while (until.empty() || got.find(until) == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, size_t(n));
  }
  ::close(fd);
  return got;
}

// A handler answering /slow... later from a thread of its own (as a store
// finishing a durable write does), everything else at once.
struct DeferringHandler {
  std::mutex mu;
  std::vector<std::string> events;
  std::vector<std::thread> finishers;
  void record(const std::string& e) {
    std::lock_guard<std::mutex> lk(mu);
    events.push_back(e);
  }
  void operator()(Request& req, Response& res) {
    if (req.path.rfind("/slow", 0) != 0) {
      record("handled " + req.path);
      res.body = "now:" + req.path;
      return;
    }
    std::string path = req.path;
    res.defer = [this, path](Responder respond) {
      std::lock_guard<std::mutex> lk(mu);
      finishers.emplace_back([this, path, respond] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        record("finished " + path);
        Response done;
        done.status = 201;
        done.body = "late:" + path;
        respond(std::move(done));
      });
    };
  }
  ~DeferringHandler() {
    for (auto& t : finishers) t.join();
  }
};

TEST(HttpServer, ADeferredResponseIsSentByTheThreadThatFinishesIt) {
  DeferringHandler handler;
  HttpServer server({}, [&](Request& req, Response& res) { handler(req, res); });
  server.start();
  HttpClient client;
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  auto r = client.send("PUT", base + "/slow", {}, "body");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "late:/slow");
  EXPECT_EQ(client.send("GET", base + "/next", {}).body, "now:/next");  // the connection goes on
  server.stop();
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrderBehindADeferredOne) {
  DeferringHandler handler;
  HttpServer server({}, [&](Request& req, Response& res) { handler(req, res); });
  server.start();
  std::string got = raw_exchange(server.port(),
                                 "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
                                 "GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto slow = got.find("late:/slow"), fast = got.find("now:/fast");
  ASSERT_NE(slow, std::string::npos) << got;
  ASSERT_NE(fast, std::string::npos) << got;
  EXPECT_LT(slow, fast);
  // The next request is not even handled before the deferred answer is out.
  std::lock_guard<std::mutex> lk(handler.mu);
  EXPECT_EQ(handler.events, (std::vector<std::string>{"finished /slow", "handled /fast"}));
  server.stop();
}

TEST(HttpServer, AClosingConnectionWaitsForItsDeferredResponse) {
  DeferringHandler handler;
  HttpServer server({}, [&](Request& req, Response& res) { handler(req, res); });
  server.start();
  std::string got = raw_exchange(server.port(), "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 201", 0), 0u) << got;
  EXPECT_NE(got.find("late:/slow"), std::string::npos) << got;
  server.stop();
}

TEST(HttpServer, ADeferThatFailsBeforeTakingTheResponderGetsA500) {
  HttpServer server({}, [](Request& req, Response& res) {
    if (req.path == "/fail") res.defer = [](Responder) { throw std::runtime_error("queue refused"); };
    else res.body = "ok";
  });
  server.start();
  HttpClient client;
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(client.send("GET", base + "/fail", {}).status, 500);
  EXPECT_EQ(client.send("GET", base + "/ok", {}).body, "ok");
  server.stop();
}

TEST(HttpServer, AnAnswerToAPeerThatDoesNotReadNeverHoldsTheFinishingThread) {
  // The finishing thread is a store's: blocked on one client, it would hold
  // every other client's durable write. The answer is larger than any socket buffer.
  const std::string big(32 << 20, 'b');
  std::promise<void> responded;
  std::thread finisher;
  HttpServer server({}, [&](Request&, Response& res) {
    res.defer = [&](Responder respond) {
      finisher = std::thread([&, respond] {
        Response done;
        done.body = big;
        respond(std::move(done));
        responded.set_value();
      });
    };
  });
  server.start();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string request = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), 0), ssize_t(request.size()));
  // Nothing read yet: the responder must have returned all the same (a
  // generous bound, so only a thread stuck on this client fails it).
  EXPECT_EQ(responded.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready);
  std::string got;
  char buf[1 << 16];
  while (got.size() < big.size() || got.find("\r\n\r\n") == std::string::npos ||
         got.size() - got.find("\r\n\r\n") - 4 < big.size()) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, size_t(n));
  }
  ::close(fd);
  finisher.join();
  ASSERT_NE(got.find("\r\n\r\n"), std::string::npos);
  EXPECT_EQ(got.substr(got.find("\r\n\r\n") + 4), big);  // and the client got it whole
  server.stop();
}

}  // namespace kiln::http
