// Plain HTTP request/response values shared by every service. They carry no
// networking types, so handlers compile without Boost and are easy to test.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::http {

// Case-insensitive ordering for header names (HTTP header names are case-insensitive).
struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const;
  using is_transparent = void;
};

// Header multimap; names compare case-insensitively, insertion order per name is kept.
class Headers {
 public:
  // Returns the first value of `name`, or nullptr.
  const std::string* find(std::string_view name) const;
  // Returns the first value of `name`, or `fallback`.
  std::string get(std::string_view name, std::string_view fallback = {}) const;
  bool has(std::string_view name) const { return find(name) != nullptr; }
  // Replaces all values of `name` with `value`.
  void set(std::string_view name, std::string value);
  // Adds a value, keeping any existing ones (e.g. for repeated headers).
  void add(std::string_view name, std::string value);
  void erase(std::string_view name);
  const std::multimap<std::string, std::string, CaseInsensitiveLess>& all() const { return map_; }

 private:
  std::multimap<std::string, std::string, CaseInsensitiveLess> map_;
};

// Where a request body goes when the service asks for it not to be held in
// memory (ServerOptions::spool_body): the server hands it each chunk as it
// arrives, then finish() once the whole body is in. A sink that throws makes
// the request fail with 500. The handler finds it in Request::body_sink.
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual void append(const char* data, size_t n) = 0;
  virtual void finish() = 0;
  // False for a body the service will refuse whatever it holds (DiscardBody).
  virtual bool wants_body() const { return true; }
};

// A sink for the body of a request the service refuses from its head alone
// (e.g. failed authentication): the body is read and dropped, so the refusal
// costs no memory and the connection stays usable; a client that asked for
// `100 Continue` gets the refusal instead, before sending the body.
class DiscardBody : public BodySink {
 public:
  void append(const char*, size_t) override {}
  void finish() override {}
  bool wants_body() const override { return false; }
};

struct Request {
  std::string method;  // upper case, e.g. "GET"
  std::string target;  // raw request target: "/devstoreaccount1/c/b?comp=list"
  std::string raw_path;  // target before '?', still percent-encoded
  std::string path;      // percent-decoded raw_path
  std::string raw_query;  // target after '?', still percent-encoded
  // Decoded query parameters; names as sent (Azure treats them case-sensitively
  // for values, handlers lowercase names where Azure does).
  std::vector<std::pair<std::string, std::string>> query;
  Headers headers;
  std::string body;  // empty when the body went to body_sink
  std::shared_ptr<BodySink> body_sink;  // set when the body was spooled (see BodySink)
  std::string remote_address;  // peer IP, for SAS IP ranges
  bool secure = false;         // arrived over TLS

  // First value of query parameter `name` (exact match), if present.
  std::optional<std::string> query_param(std::string_view name) const;
  bool has_query(std::string_view name) const { return query_param(name).has_value(); }
};

// A byte range of an open file, streamed as the response body. The file stays
// open (and so readable even if replaced or unlinked) until the response is sent.
struct FileBody {
  std::shared_ptr<int> fd;  // owns the descriptor; closed by the deleter
  uint64_t offset = 0;
  uint64_t length = 0;
  static std::shared_ptr<int> adopt(int fd);  // shared fd that closes on last release
};

struct Response;
// Sends a response finished later (Response::defer); called once, from any thread.
using Responder = std::function<void(Response&&)>;

struct Response {
  int status = 200;
  Headers headers;
  std::string body;               // used when `file` is empty
  std::optional<FileBody> file;   // streamed body; Content-Length is file->length
  // Streamed body made of several file ranges, sent in order (used when `file`
  // is empty and this is not); Content-Length is the sum of their lengths.
  std::vector<FileBody> files;
  // HEAD responses and 304s carry Content-Length of the entity but no body.
  bool suppress_body = false;
  // Set by a handler whose response is finished later, on another thread (e.g.
  // once its write is durable), instead of the fields above: the server calls
  // it once with a Responder, which must then be called once with the finished
  // response (in-memory body only). Meanwhile a plain-TCP connection goes on
  // reading its next request, so no thread waits for the write.
  std::function<void(Responder)> defer;
};

}  // namespace kiln::http
