// Shared pieces of List Containers and List Blobs: maxresults and markers.
#pragma once

#include <string>
#include <utility>

#include "core/http_types.h"

namespace kiln::blob {

// maxresults: 1..5000, default 5000. Out of range or not a number -> Azure's errors.
size_t read_max_results(const http::Request& req);

// Markers are opaque to clients: base64 of "name\0snapshot-key". A marker that
// does not decode is taken as a plain name (start at that name).
std::string encode_marker(const std::string& name, const std::string& snap_key = "");
std::pair<std::string, std::string> decode_marker(const std::string& marker);

}  // namespace kiln::blob
