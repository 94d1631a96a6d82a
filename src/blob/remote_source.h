// Copy sources outside this service (Copy Blob, Put Block From URL and Append
// Block From URL naming any http(s) URL): fetched with a GET, streamed into a
// new data file with its MD5 taken on the way (memory stays flat).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "blob/blob_files.h"
#include "blob/records.h"
#include "core/http_types.h"

namespace kiln::blob {

struct RemoteCopy {
  std::string file;      // a new durable data file with the bytes; the caller owns it
  uint64_t size = 0;
  std::string md5;       // raw 16 bytes, of the bytes fetched
  BlobProperties props;  // the source's Content-Type, -Encoding, -Language, -Disposition, Cache-Control
  std::string etag;      // the source's ETag and Last-Modified, for x-ms-source-if-* (may be empty / 0)
  int64_t last_modified_us = 0;
};

// Bytes [start, start + length) of the source, or all of it.
struct RemoteRange {
  uint64_t start = 0;
  uint64_t length = 0;
};

// GETs `url` (with x-ms-copy-source-authorization from `request_headers` as
// its Authorization) into a new file of `files`. Throws CannotVerifyCopySource
// with the source's status when it answers anything but 200/206 (or 404 when it
// cannot be reached), and RequestBodyTooLarge past `max_bytes`.
RemoteCopy fetch_remote_source(BlobFiles& files, const std::string& url, const http::Headers& request_headers,
                               std::optional<RemoteRange> range, uint64_t max_bytes);

}  // namespace kiln::blob
