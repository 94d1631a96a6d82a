// The HTTP/1.1 wire format as the benchmark's load generator needs it: request
// heads built once per request, and an incremental response parser that accepts
// bytes as they arrive (Content-Length, chunked, or read-until-close bodies).
// The parser never copies a body unless asked to (keep_body), so a 1 GiB
// download costs the client only its recv() calls. Not thread-safe; one per
// connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::bench {

// "METHOD target HTTP/1.1\r\nHost: ...\r\n<headers>\r\nContent-Length: n\r\n\r\n".
// Content-Length is written when `content_length` >= 0 (always for PUT).
std::string request_head(std::string_view method, std::string_view target, std::string_view host,
                         const std::vector<std::string>& headers, long long content_length);

class ResponseParser {
 public:
  enum class State { kHead, kBody, kChunkSize, kChunkData, kChunkEnd, kTrailers, kUntilClose, kDone, kFailed };

  explicit ResponseParser(bool keep_body = false) : keep_body_(keep_body) {}

  // Consumes bytes of the response; returns how many it used. Bytes after the
  // end of the response (done()) are not consumed.
  size_t feed(const char* data, size_t n);
  // The peer closed the connection: completes a read-until-close body, fails otherwise.
  void feed_eof();
  void reset();

  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kFailed; }
  int status() const { return status_; }
  bool keep_alive() const { return keep_alive_; }
  uint64_t body_bytes() const { return body_bytes_; }
  const std::string& body() const { return body_; }  // only with keep_body
  // Value of a response header (first match, case-insensitive); empty if absent.
  std::string header(std::string_view name) const;

 private:
  bool parse_head();
  void take_body(const char* p, size_t n);

  bool keep_body_;
  State state_ = State::kHead;
  std::string line_;   // head, chunk-size line or trailer bytes gathered so far
  std::string head_;   // the complete response head
  std::string body_;
  int status_ = 0;
  bool keep_alive_ = true;
  uint64_t remaining_ = 0;
  uint64_t body_bytes_ = 0;
};

}  // namespace kiln::bench
