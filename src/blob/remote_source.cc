#include "blob/remote_source.h"

#include <unistd.h>

#include <algorithm>

#include "blob/errors.h"
#include "core/crypto.h"
#include "core/file_util.h"
#include "core/http_client.h"
#include "core/time_format.h"

namespace kiln::blob {
namespace {

// Thrown by the body sink once the wanted range is in: the rest is not read.
struct RangeComplete {};

}  // namespace

RemoteCopy fetch_remote_source(BlobFiles& files, const std::string& url, const http::Headers& request_headers,
                               std::optional<RemoteRange> range, uint64_t max_bytes) {
  http::Headers headers;
  if (const std::string* auth = request_headers.find("x-ms-copy-source-authorization")) headers.set("Authorization", *auth);
  if (range && range->length > 0)
    headers.set("Range", "bytes=" + std::to_string(range->start) + "-" + std::to_string(range->start + range->length - 1));
  const uint64_t start = range ? range->start : 0;
  const uint64_t end = range ? range->start + range->length : UINT64_MAX;
  BlobFiles::NewFile out = files.create_empty();
  RemoteCopy copy;
  copy.file = out.name;
  crypto::Md5 md5;
  uint64_t offset = 0;  // in the source, of the next byte received
  http::ClientResponse head;
  try {
    http::HttpClient client;
    auto on_head = [&](const http::ClientResponse& h) {
      head.status = h.status;
      head.headers = h.headers;
      // 206: the body is the range asked for; 200: the whole source, the range is cut out below.
      if (h.status == 206 && range) offset = start;
      else if (h.status != 200)
        throw err::cannot_verify_copy_source(h.status >= 400 && h.status < 600 ? h.status : 404,
                                             "The copy source answered " + std::to_string(h.status) + ": " + url);
    };
    auto sink = [&](std::string_view chunk) {
      uint64_t from = offset;
      offset += chunk.size();
      uint64_t lo = std::max(from, start), hi = std::min(offset, end);
      if (lo < hi) {
        std::string_view keep = chunk.substr(size_t(lo - from), size_t(hi - lo));
        if (copy.size + keep.size() > max_bytes) throw err::request_body_too_large();
        fs::write_all(out.fd, keep);
        md5.update(keep);
        copy.size += keep.size();
      }
      if (offset >= end) throw RangeComplete{};
    };
    try {
      client.send("GET", url, headers, {}, on_head, sink);
    } catch (const RangeComplete&) {
    }
    if (range && copy.size != range->length) throw err::invalid_range();  // the source is shorter
  } catch (const http::ClientError& e) {
    ::close(out.fd);
    files.remove(out.name);
    throw err::cannot_verify_copy_source(404, std::string("The copy source could not be reached: ") + e.what());
  } catch (...) {
    ::close(out.fd);
    files.remove(out.name);
    throw;
  }
  files.seal(out.fd, out.name);
  copy.md5 = md5.finish();
  const auto& h = head.headers;
  copy.props.content_type = h.get("content-type");
  copy.props.content_encoding = h.get("content-encoding");
  copy.props.content_language = h.get("content-language");
  copy.props.content_disposition = h.get("content-disposition");
  copy.props.cache_control = h.get("cache-control");
  copy.etag = h.get("etag");
  if (auto t = timefmt::parse_rfc1123(h.get("last-modified"))) copy.last_modified_us = timefmt::to_micros(*t);
  return copy;
}

}  // namespace kiln::blob
