// Azure's naming rules for containers, blobs and metadata. Each check throws
// the AzureError Azure gives for the violation.
#pragma once

#include <string>

#include "blob/records.h"

namespace kiln::blob {

// 3-63 characters of [a-z0-9-], starting with a letter or digit, no "--", not
// ending in '-'; or one of the special containers $root, $logs, $web.
bool is_valid_container_name(const std::string& name);
void check_container_name(const std::string& name);  // InvalidResourceName / OutOfRangeInput
// 1-1024 characters, at most 254 path segments, no control characters.
void check_blob_name(const std::string& name);
// Metadata names must be C# identifiers; total size at most 8 KiB.
void check_metadata(const Metadata& m);

}  // namespace kiln::blob
