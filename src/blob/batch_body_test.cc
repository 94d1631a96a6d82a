#include "blob/batch_body.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "blob/error_code_testing.h"

namespace kiln::blob {
namespace {

TEST(BatchBody, BoundaryComesFromAMultipartMixedContentType) {
  EXPECT_EQ(batch_boundary("multipart/mixed; boundary=batch_1"), "batch_1");
  EXPECT_EQ(batch_boundary("Multipart/Mixed; charset=x; boundary=\"b 2\""), "b 2");
  EXPECT_EQ(batch_boundary("application/xml; boundary=x"), "");
  EXPECT_EQ(batch_boundary("multipart/mixed"), "");
}

TEST(BatchBody, PartsCarryHttpRequests) {
  std::string body =
      "--b\r\nContent-Type: application/http\r\nContent-ID: 0\r\n\r\n"
      "DELETE /c/dir/a%20b?snapshot=x HTTP/1.1\r\nx-ms-date: d\r\nAuthorization: SharedKey a:s\r\n\r\n\r\n"
      "--b\r\nContent-Type: application/http\r\nContent-ID: 7\r\n\r\n"
      "PUT /c/z?comp=tier HTTP/1.1\r\nx-ms-access-tier: Cool\r\nContent-Length: 0\r\n\r\n\r\n"
      "--b--\r\n";
  auto parts = parse_batch_body(body, "b");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].content_id, "0");
  EXPECT_EQ(parts[0].request.method, "DELETE");
  EXPECT_EQ(parts[0].request.raw_path, "/c/dir/a%20b");  // signed as sent
  EXPECT_EQ(parts[0].request.path, "/c/dir/a b");
  EXPECT_EQ(parts[0].request.query_param("snapshot"), "x");
  EXPECT_EQ(parts[0].request.headers.get("authorization"), "SharedKey a:s");
  EXPECT_EQ(parts[1].content_id, "7");
  EXPECT_EQ(parts[1].request.query_param("comp"), "tier");
  EXPECT_EQ(parts[1].request.headers.get("x-ms-access-tier"), "Cool");
}

TEST(BatchBody, APartMayEndWithItsLastHeaderLine) {
  // As the JavaScript SDK sends a sub-request without a body: no empty line before the delimiter.
  std::string body =
      "--b\r\nContent-Type: application/http\r\nContent-ID: 0\r\n\r\n"
      "DELETE /acct/c/a HTTP/1.1\r\nAccept: application/xml\r\nAuthorization: SharedKey a:s\r\n"
      "\r\n--b\r\nContent-Type: application/http\r\nContent-ID: 1\r\n\r\n"
      "DELETE /acct/c/b HTTP/1.1\r\nAuthorization: SharedKey a:t\r\n"
      "\r\n--b--\r\n";
  auto parts = parse_batch_body(body, "b");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].request.path, "/acct/c/a");
  EXPECT_EQ(parts[0].request.headers.get("authorization"), "SharedKey a:s");
  EXPECT_EQ(parts[0].request.body, "");
  EXPECT_EQ(parts[1].request.headers.get("authorization"), "SharedKey a:t");
  // A header line cut short is still malformed.
  EXPECT_EQ(error_code_of([] { parse_batch_body("--b\r\nContent-ID: 0\r\n\r\nDELETE /c/a HTTP/1.1\r\nAuth\r\n--b--", "b"); }),
            "InvalidInput");
}

TEST(BatchBody, ABoundaryInsideAPartIsNoDelimiter) {
  std::string body =
      "--b\r\nContent-ID: 1\r\n\r\nPUT /c/x?comp=tier HTTP/1.1\r\nContent-Length: 9\r\n\r\nab--b\r\ncd\r\n--b--\r\n";
  auto parts = parse_batch_body(body, "b");
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].request.body, "ab--b\r\ncd");
}

TEST(BatchBody, MalformedBodiesAreInvalidInput) {
  const std::string ok_part = "Content-ID: 0\r\n\r\nDELETE /c/b HTTP/1.1\r\n\r\n\r\n";
  for (const std::string& bad : std::vector<std::string>{"", "--b--\r\n", "--b\r\n" + ok_part,  // no closing delimiter
                          "--b\r\nContent-ID: 0\r\n\r\nDELETE /c/b\r\n\r\n--b--",
                          "--b\r\nContent-ID: 0\r\n\r\nDELETE c/b HTTP/1.1\r\n\r\n--b--",
                          "--b\r\nno header line\r\n\r\n--b--", "--bx" + ok_part + "--b--"}) {
    EXPECT_EQ(error_code_of([&] { parse_batch_body(bad, "b"); }), "InvalidInput") << bad;
  }
  std::string many;
  for (int i = 0; i < 257; ++i) many += "--b\r\n" + ok_part;
  EXPECT_EQ(error_code_of([&] { parse_batch_body(many + "--b--", "b"); }), "ExceedsMaxBatchRequestCount");
}

TEST(BatchBody, ResponsesArePartsOfHttpResponses) {
  http::Response res;
  res.status = 202;
  res.headers.set("x-ms-request-id", "id\r\nInjected: yes");
  std::string out;
  append_batch_response(out, "r", "3", res);
  close_batch_response(out, "r");
  EXPECT_EQ(out,
            "--r\r\nContent-Type: application/http\r\nContent-ID: 3\r\n\r\n"
            "HTTP/1.1 202 Accepted\r\nx-ms-request-id: id  Injected: yes\r\nContent-Length: 0\r\n\r\n\r\n--r--\r\n");
}

}  // namespace
}  // namespace kiln::blob
