// Response headers Azure sends on every Blob response, ETags, and the
// blob/container property headers several handlers share.
#pragma once

#include <cstdint>
#include <string>

#include "blob/records.h"
#include "blob/request_context.h"
#include "core/http_types.h"

namespace kiln::blob {

inline constexpr const char* kApiVersion = "2021-12-02";

// A new quoted ETag ("0x8DB..."), strictly increasing within the process.
std::string new_etag();

// x-ms-request-id, x-ms-version, x-ms-client-request-id echo, Server, Date.
void add_common_headers(const http::Request& req, const RequestContext& ctx, http::Response& res);

std::string http_date(int64_t us);  // RFC 1123
std::string xml_date(int64_t us);   // RFC 1123 as used inside list XML (Last-Modified)

// ETag, Last-Modified, x-ms-meta-*, lease headers, public access.
void add_container_headers(const ContainerRecord& c, int64_t now_us, http::Response& res);
// Everything Get Blob Properties returns except Content-Length/Range.
void add_blob_headers(const BlobRecord& b, int64_t now_us, http::Response& res);
void add_metadata_headers(const Metadata& m, http::Headers& h);
// x-ms-version-id of a version that has an id (versioning gave it one).
void add_version_header(const std::string& version_id, http::Headers& h);

// x-ms-meta-* request headers into Metadata (validated).
Metadata read_metadata(const http::Headers& h);

}  // namespace kiln::blob
