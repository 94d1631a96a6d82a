// Fast reader of a blob's stored properties document (the JSON object written
// by the SQLite store's blob_doc). Listings read thousands of these per page;
// a general JSON parser building a DOM per row dominated their CPU time.
//
// Reads only the shape blob_doc writes (one object of strings, integers and
// one level of nested objects of strings/integers). Returns false on anything
// else, leaving `b` partly filled: callers then fall back to the general
// parser. Stateless and thread-safe.
#pragma once

#include <string_view>

#include "blob/records.h"

namespace kiln::blob {

// Fills the stored fields of `b` (type, size, etag, times, properties,
// metadata, lease, append count, tier, copy state) from `doc`.
bool read_blob_doc(std::string_view doc, BlobRecord& b);

}  // namespace kiln::blob
