// The multipart/mixed bodies of Blob Batch: the sub-requests a client sends
// (each an HTTP request in a part of its own) and the sub-responses answered.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/http_types.h"

namespace kiln::blob {

// Azure's limits: 256 sub-requests, a 4 MiB body.
inline constexpr size_t kMaxBatchRequests = 256;
inline constexpr size_t kMaxBatchBodyBytes = 4 << 20;

// The boundary of "multipart/mixed; boundary=X" (quotes allowed), or "" for
// any other Content-Type.
std::string batch_boundary(const std::string& content_type);

// One sub-request: its Content-ID and the request it carries, target still
// percent-encoded; `request.path` and `request.query` are filled too.
struct BatchPart {
  std::string content_id;
  http::Request request;
};
// Throws InvalidInput (400) on a body that is not parts of HTTP requests
// separated by `boundary`, or that has more than kMaxBatchRequests of them.
std::vector<BatchPart> parse_batch_body(std::string_view body, const std::string& boundary);

// Appends `res` as the next part of a batch response (in-memory bodies only);
// close_batch_response() ends the body.
void append_batch_response(std::string& out, const std::string& boundary, const std::string& content_id,
                           const http::Response& res);
void close_batch_response(std::string& out, const std::string& boundary);

}  // namespace kiln::blob
