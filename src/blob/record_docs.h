// The JSON documents the SQLite store keeps per container, per blob and per
// committed block list. A blob's document has its own DOM-free reader and
// writer (blob_doc.h); these are the rest, on a general JSON library.
#pragma once

#include <string>
#include <vector>

#include "blob/records.h"

namespace kiln::blob {

std::string container_doc(const ContainerRecord& c);
ContainerRecord container_from(const std::string& account, const std::string& name, const std::string& doc);

// Fills `b`'s stored fields from its document: the fast reader first, a
// general JSON parser for anything it does not take.
void blob_fill(BlobRecord& b, const std::string& doc);

std::string blocks_doc(const std::vector<BlockRef>& blocks);
std::vector<BlockRef> blocks_from(const std::string& doc);

}  // namespace kiln::blob
