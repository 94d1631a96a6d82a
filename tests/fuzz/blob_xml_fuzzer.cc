// Fuzzes the Blob API's XML request parsers, Blob Batch bodies, the tag
// expression parser and Query Blob's SQL and CSV / JSON-lines readers: any input
// must either parse or raise an AzureError (InvalidXmlDocument etc.) or a
// QueryError, never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "blob/batch_body.h"
#include "blob/errors.h"
#include "blob/query_sql.h"
#include "blob/query_text.h"
#include "blob/tags.h"
#include "blob/xml_parse.h"

using namespace kiln::blob;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  try {
    parse_block_list(xml);
  } catch (const AzureError&) {
  }
  try {
    parse_signed_identifiers(xml);
  } catch (const AzureError&) {
  }
  try {
    ServiceProperties p = parse_service_properties(xml);
    // What was accepted must serialize and parse back.
    ServiceProperties again = parse_service_properties(serialize_service_properties(p));
    cors_rules(again);
  } catch (const AzureError&) {
  }
  try {
    // Accepted tags must serialize and parse back to the same set.
    BlobTags tags = parse_tags_xml(xml);
    if (parse_tags_xml(tags_xml(tags)) != tags) __builtin_trap();
  } catch (const AzureError&) {
  }
  try {
    parse_key_info(xml);  // Get User Delegation Key
  } catch (const AzureError&) {
  }
  try {
    parse_batch_body(xml, "batch_b");  // Blob Batch bodies
  } catch (const AzureError&) {
  }
  try {
    parse_query_request(xml);  // Query Blob
  } catch (const AzureError&) {
  }
  try {  // the input as Query Blob's SQL, run over the input as CSV and as JSON lines
    query::Query q = query::Query::parse(xml);
    for (auto type : {query::TextFormat::Type::kDelimited, query::TextFormat::Type::kJson}) {
      query::TextFormat format;
      format.type = type;
      format.has_headers = true;
      query::RecordWriter writer(format);
      std::string out;
      query::RecordReader reader(format, [&](const query::InputRecord& in) {
        if (!in.record) return;
        try {
          if (auto columns = q.apply(*in.record)) writer.write(*columns, out);
        } catch (const query::QueryError&) {
        }
      });
      reader.feed(xml.substr(0, xml.size() / 2));
      reader.feed(xml.substr(xml.size() / 2));
      reader.finish();
    }
    if (q.aggregates()) q.result();
  } catch (const query::QueryError&) {
  }
  for (auto dialect : {TagExpression::Dialect::kFind, TagExpression::Dialect::kCondition}) {
    try {
      TagExpression::parse(xml, dialect).matches("c", {{"a", "1"}, {"b", ""}});
    } catch (const AzureError&) {
    }
  }
  return 0;
}
