// Parsing of the Blob API's XML request bodies (block lists, container ACLs,
// service properties) with pugixml. Each parser throws InvalidXmlDocument /
// InvalidXmlNodeValue for input Azure would refuse. Also the fuzz targets' entry points.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "blob/query_text.h"
#include "blob/records.h"

namespace kiln::blob {

enum class BlockListKind { kCommitted, kUncommitted, kLatest };
struct BlockListEntry {
  BlockListKind kind;
  std::string id;
};
std::vector<BlockListEntry> parse_block_list(std::string_view xml);

// <SignedIdentifiers>: at most 5, ids at most 64 characters.
std::vector<AccessPolicy> parse_signed_identifiers(std::string_view xml);

// <KeyInfo> of Get User Delegation Key: Start and Expiry as sent (ISO 8601, checked).
struct KeyInfo {
  std::string start, expiry;
};
KeyInfo parse_key_info(std::string_view xml);

// <QueryRequest> of Query Blob: the SQL and the input and output formats
// (<InputSerialization> / <OutputSerialization>; the output defaults to the input's).
struct QueryRequest {
  std::string expression;
  query::TextFormat input, output;
};
QueryRequest parse_query_request(std::string_view xml);

struct CorsRule {
  std::string allowed_origins, allowed_methods, allowed_headers, exposed_headers;
  int64_t max_age = 0;
};

// Service properties as stored: each top-level element's XML kept verbatim so
// a later Set that omits it leaves it unchanged, as Azure does.
struct ServiceProperties {
  std::string logging, hour_metrics, minute_metrics, cors, default_service_version, delete_retention_policy,
      static_website;
};
ServiceProperties parse_service_properties(std::string_view xml);
// Elements set in `update` replace those in `base`.
ServiceProperties merge_service_properties(const ServiceProperties& base, const ServiceProperties& update);
std::string serialize_service_properties(const ServiceProperties& p);  // full document with defaults
std::vector<CorsRule> cors_rules(const ServiceProperties& p);

}  // namespace kiln::blob
