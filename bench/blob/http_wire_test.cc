#include "http_wire.h"

#include <gtest/gtest.h>

#include <string>

namespace kiln::bench {
namespace {

// Feeds `wire` in pieces of `step` bytes, as recv() might deliver it; returns bytes consumed.
size_t feed_in_steps(ResponseParser& p, const std::string& wire, size_t step) {
  size_t used = 0;
  while (used < wire.size() && !p.done() && !p.failed()) {
    size_t n = std::min(step, wire.size() - used);
    size_t took = p.feed(wire.data() + used, n);
    used += took;
    if (took < n) break;
  }
  return used;
}

TEST(RequestHead, WritesHostHeadersAndLength) {
  std::string head = request_head("PUT", "/a/b?x=1", "127.0.0.1:80", {"x-ms-version: 2021-12-02"}, 4);
  EXPECT_EQ(head,
            "PUT /a/b?x=1 HTTP/1.1\r\nHost: 127.0.0.1:80\r\nx-ms-version: 2021-12-02\r\n"
            "Content-Length: 4\r\n\r\n");
  EXPECT_EQ(request_head("GET", "/", "h:1", {}, -1), "GET / HTTP/1.1\r\nHost: h:1\r\n\r\n");
}

TEST(ResponseParser, ContentLengthBodyInAnySplit) {
  const std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nx-ms-error-code: None\r\n\r\nhello";
  for (size_t step : {1u, 3u, 7u, 1000u}) {
    ResponseParser p(/*keep_body=*/true);
    EXPECT_EQ(feed_in_steps(p, wire, step), wire.size()) << step;
    ASSERT_TRUE(p.done()) << step;
    EXPECT_EQ(p.status(), 200);
    EXPECT_EQ(p.body(), "hello");
    EXPECT_EQ(p.body_bytes(), 5u);
    EXPECT_TRUE(p.keep_alive());
    EXPECT_EQ(p.header("X-MS-ERROR-CODE"), "None");
  }
}

TEST(ResponseParser, StopsAtTheEndOfTheResponse) {
  const std::string first = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
  const std::string wire = first + "HTTP/1.1 200 OK\r\n";
  ResponseParser p;
  EXPECT_EQ(p.feed(wire.data(), wire.size()), first.size());
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.status(), 201);
}

TEST(ResponseParser, ChunkedBodyWithTrailers) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nWiki\r\n6;ext=1\r\npedia \r\n0\r\nx-trailer: y\r\n\r\n";
  for (size_t step : {1u, 5u, 1000u}) {
    ResponseParser p(true);
    EXPECT_EQ(feed_in_steps(p, wire, step), wire.size()) << step;
    ASSERT_TRUE(p.done()) << step;
    EXPECT_EQ(p.body(), "Wikipedia ");
  }
}

TEST(ResponseParser, BodyUntilCloseAndConnectionClose) {
  ResponseParser p(true);
  std::string wire = "HTTP/1.0 200 OK\r\n\r\nabc";
  p.feed(wire.data(), wire.size());
  EXPECT_FALSE(p.done());
  p.feed_eof();
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.body(), "abc");
  EXPECT_FALSE(p.keep_alive());

  ResponseParser q;
  wire = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
  q.feed(wire.data(), wire.size());
  EXPECT_TRUE(q.done());
  EXPECT_FALSE(q.keep_alive());
}

TEST(ResponseParser, RejectsGarbageAndTruncation) {
  ResponseParser p;
  std::string wire = "SSH-2.0-OpenSSH\r\n\r\n";
  p.feed(wire.data(), wire.size());
  EXPECT_TRUE(p.failed());

  ResponseParser q;
  wire = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
  q.feed(wire.data(), wire.size());
  q.feed_eof();
  EXPECT_TRUE(q.failed());

  ResponseParser r;
  wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
  r.feed(wire.data(), wire.size());
  EXPECT_TRUE(r.failed());
}

TEST(ResponseParser, ResetAllowsTheNextResponse) {
  ResponseParser p(true);
  std::string a = "HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nx";
  std::string b = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nyz";
  p.feed(a.data(), a.size());
  ASSERT_TRUE(p.done());
  EXPECT_EQ(p.status(), 404);
  p.reset();
  p.feed(b.data(), b.size());
  ASSERT_TRUE(p.done());
  EXPECT_EQ(p.status(), 200);
  EXPECT_EQ(p.body(), "yz");
}

}  // namespace
}  // namespace kiln::bench
