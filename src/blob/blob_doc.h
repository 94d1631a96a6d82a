// A blob's stored properties document: the JSON object the SQLite store keeps
// per blob, written and read without a JSON DOM. Listings read thousands of
// these per page and every Put writes one; a general JSON library building a
// DOM per row dominated their CPU time. Stateless and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "blob/records.h"

namespace kiln::blob {

// The document of the stored fields of `b` (type, size, etag, times,
// properties, metadata, lease, append count, tier, page ranges and
// sequence number, copy state).
std::string write_blob_doc(const BlobRecord& b);

// Fills the stored fields of `b` from `doc`. Reads only the shape
// write_blob_doc writes (one object of strings, integers and one level of
// nested objects of strings/integers); returns false on anything else,
// leaving `b` partly filled: callers then fall back to a general JSON parser.
bool read_blob_doc(std::string_view doc, BlobRecord& b);

}  // namespace kiln::blob
