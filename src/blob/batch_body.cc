#include "blob/batch_body.h"

#include <cctype>

#include "blob/errors.h"
#include "core/url.h"

namespace kiln::blob {
namespace {

constexpr std::string_view kCrlf = "\r\n";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Splits "Name: value" lines up to the first empty line; `s` is left after it.
// A part may also end right after its last header line: the JavaScript SDK
// leaves out the empty line of a sub-request without a body (its CRLF is then
// the delimiter's), and Azure takes that.
bool read_headers(std::string_view& s, http::Headers& out) {
  while (true) {
    size_t eol = s.find(kCrlf);
    if (eol == std::string_view::npos) return s.empty();
    std::string_view line = s.substr(0, eol);
    s.remove_prefix(eol + 2);
    if (line.empty()) return true;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    out.add(trim(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
  }
}

// One part: its MIME headers, then an HTTP request (line, headers, body).
BatchPart parse_part(std::string_view part) {
  BatchPart p;
  http::Headers mime;
  if (!read_headers(part, mime)) throw err::invalid_input();
  p.content_id = mime.get("Content-ID");
  size_t eol = part.find(kCrlf);
  if (eol == std::string_view::npos) throw err::invalid_input();
  std::string_view line = part.substr(0, eol);
  part.remove_prefix(eol + 2);
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1 || line.substr(sp2 + 1).rfind("HTTP/1.", 0) != 0)
    throw err::invalid_input();
  http::Request& r = p.request;
  r.method = std::string(line.substr(0, sp1));
  r.target = std::string(trim(line.substr(sp1 + 1, sp2 - sp1 - 1)));
  if (r.target.empty() || r.target[0] != '/') throw err::invalid_input();
  if (!read_headers(part, r.headers)) throw err::invalid_input();
  r.body = std::string(part);  // what follows the headers, up to the CRLF before the next delimiter
  size_t q = r.target.find('?');
  r.raw_path = r.target.substr(0, q);
  r.raw_query = q == std::string::npos ? "" : r.target.substr(q + 1);
  auto path = url::decode(r.raw_path);
  auto query = url::parse_query(r.raw_query);
  if (!path || !query) throw err::invalid_input();
  r.path = std::move(*path);
  r.query = std::move(*query);
  return p;
}

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 413: return "Request Entity Too Large";
    case 500: return "Internal Server Error";
    default: return "Status";
  }
}

}  // namespace

std::string batch_boundary(const std::string& content_type) {
  std::string lower;
  for (char c : content_type) lower += char(std::tolower(static_cast<unsigned char>(c)));
  if (lower.rfind("multipart/mixed", 0) != 0) return "";
  size_t at = lower.find("boundary=");
  if (at == std::string::npos) return "";
  std::string_view b = std::string_view(content_type).substr(at + 9);
  b = b.substr(0, b.find(';'));
  b = trim(b);
  if (b.size() >= 2 && b.front() == '"' && b.back() == '"') b = b.substr(1, b.size() - 2);
  return std::string(b);
}

std::vector<BatchPart> parse_batch_body(std::string_view body, const std::string& boundary) {
  if (boundary.empty()) throw err::invalid_input();
  // A delimiter starts a line: the first one may open the body, the others
  // follow a CRLF (which belongs to the delimiter, not to the part before it).
  const std::string delimiter = "--" + boundary;
  const std::string next_delimiter = "\r\n" + delimiter;
  size_t pos = body.rfind(delimiter, 0) == 0 ? 0 : body.find(next_delimiter);
  if (pos == std::string_view::npos) throw err::invalid_input();
  if (pos > 0) pos += 2;
  std::vector<BatchPart> parts;
  while (true) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") break;  // the closing delimiter
    if (body.substr(pos, 2) != kCrlf) throw err::invalid_input();
    pos += 2;
    size_t next = body.find(next_delimiter, pos);
    if (next == std::string_view::npos) throw err::invalid_input();  // no closing delimiter
    if (parts.size() == kMaxBatchRequests) {
      throw AzureError(400, "ExceedsMaxBatchRequestCount",
                       "The batch operation exceeds the maximum number of allowed subrequests (256).");
    }
    parts.push_back(parse_part(body.substr(pos, next - pos)));
    pos = next + 2;
  }
  if (parts.empty()) throw err::invalid_input();
  return parts;
}

void append_batch_response(std::string& out, const std::string& boundary, const std::string& content_id,
                           const http::Response& res) {
  out += "--" + boundary + "\r\nContent-Type: application/http\r\nContent-ID: " + content_id + "\r\n\r\n";
  out += "HTTP/1.1 " + std::to_string(res.status) + " " + reason(res.status) + "\r\n";
  bool has_length = false;
  for (const auto& [name, value] : res.headers.all()) {
    has_length = has_length || name == "Content-Length";
    out += name + ": ";
    for (char c : value) out += (c == '\r' || c == '\n') ? ' ' : c;  // a value never splits a header
    out += "\r\n";
  }
  if (!has_length) out += "Content-Length: " + std::to_string(res.body.size()) + "\r\n";
  out += "\r\n" + res.body + "\r\n";
}

void close_batch_response(std::string& out, const std::string& boundary) { out += "--" + boundary + "--\r\n"; }

}  // namespace kiln::blob
