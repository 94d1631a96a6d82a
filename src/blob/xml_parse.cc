#include "blob/xml_parse.h"

#include <pugixml.hpp>
#include <sstream>

#include "blob/errors.h"
#include "core/time_format.h"

namespace kiln::blob {
namespace {

pugi::xml_node load_root(pugi::xml_document& doc, std::string_view xml, const char* root_name,
                         unsigned options = pugi::parse_default) {
  auto result = doc.load_buffer(xml.data(), xml.size(), options, pugi::encoding_utf8);
  if (!result) throw err::invalid_xml_document();
  pugi::xml_node root = doc.document_element();
  if (!root || std::string_view(root.name()) != root_name) throw err::invalid_xml_document();
  return root;
}

std::string node_xml(const pugi::xml_node& n) {
  std::ostringstream os;
  n.print(os, "", pugi::format_raw);
  return os.str();
}

bool is_bool(const std::string& v) { return v == "true" || v == "false"; }

// Checks the Enabled/Days shape shared by metrics, logging and retention elements.
void check_retention(const pugi::xml_node& n, const char* where) {
  if (!n) return;
  std::string enabled = n.child_value("Enabled");
  if (!is_bool(enabled)) throw err::invalid_xml_node_value("Enabled", enabled);
  std::string days = n.child_value("Days");
  if (enabled == "true" && !days.empty()) {
    try {
      int d = std::stoi(days);
      if (d < 1 || d > 365) throw err::invalid_xml_node_value("Days", days);
    } catch (const std::invalid_argument&) {
      throw err::invalid_xml_node_value("Days", days);
    } catch (const std::out_of_range&) {
      throw err::invalid_xml_node_value("Days", days);
    }
  }
}

}  // namespace

std::vector<BlockListEntry> parse_block_list(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_node root = load_root(doc, xml, "BlockList");
  std::vector<BlockListEntry> out;
  for (pugi::xml_node n : root.children()) {
    if (n.type() != pugi::node_element) continue;
    std::string_view name = n.name();
    BlockListKind kind;
    if (name == "Committed") kind = BlockListKind::kCommitted;
    else if (name == "Uncommitted") kind = BlockListKind::kUncommitted;
    else if (name == "Latest") kind = BlockListKind::kLatest;
    else throw err::invalid_xml_document();
    out.push_back({kind, n.child_value()});
  }
  return out;
}

std::vector<AccessPolicy> parse_signed_identifiers(std::string_view xml) {
  std::vector<AccessPolicy> out;
  // An empty body clears the policies.
  if (xml.find_first_not_of(" \t\r\n") == std::string_view::npos) return out;
  pugi::xml_document doc;
  pugi::xml_node root = load_root(doc, xml, "SignedIdentifiers");
  for (pugi::xml_node n : root.children("SignedIdentifier")) {
    AccessPolicy p;
    p.id = n.child_value("Id");
    if (p.id.empty() || p.id.size() > 64) throw err::invalid_xml_node_value("Id", p.id);
    pugi::xml_node ap = n.child("AccessPolicy");
    p.start = ap.child_value("Start");
    p.expiry = ap.child_value("Expiry");
    p.permission = ap.child_value("Permission");
    if (!p.start.empty() && !timefmt::parse_iso8601(p.start)) throw err::invalid_xml_node_value("Start", p.start);
    if (!p.expiry.empty() && !timefmt::parse_iso8601(p.expiry)) throw err::invalid_xml_node_value("Expiry", p.expiry);
    for (char c : p.permission)
      if (std::string_view("racwdxltmeip").find(c) == std::string_view::npos)
        throw err::invalid_xml_node_value("Permission", p.permission);
    out.push_back(std::move(p));
  }
  if (out.size() > 5) throw err::invalid_xml_document();
  return out;
}

KeyInfo parse_key_info(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_node root = load_root(doc, xml, "KeyInfo");
  KeyInfo k{root.child_value("Start"), root.child_value("Expiry")};
  if (!timefmt::parse_iso8601(k.start)) throw err::invalid_xml_node_value("Start", k.start);
  if (!timefmt::parse_iso8601(k.expiry)) throw err::invalid_xml_node_value("Expiry", k.expiry);
  return k;
}

namespace {

// One character of a <DelimitedTextConfiguration> element ("" keeps `fallback`).
char one_char(const pugi::xml_node& config, const char* name, char fallback) {
  pugi::xml_node n = config.child(name);
  if (!n) return fallback;
  std::string v = n.child_value();
  if (v.size() > 1) throw err::invalid_xml_node_value(name, v);
  return v.empty() ? fallback : v[0];
}

// A <Format> of a query's input or output; `present` tells whether it was given.
query::TextFormat parse_text_format(const pugi::xml_node& serialization, bool output, bool& present) {
  query::TextFormat f;
  pugi::xml_node format = serialization.child("Format");
  present = bool(format);
  if (!format) return f;
  std::string type = format.child_value("Type");
  if (type == "json") {
    f.type = query::TextFormat::Type::kJson;
    std::string sep = format.child("JsonTextConfiguration").child_value("RecordSeparator");
    if (!sep.empty()) f.record_separator = sep;
  } else if (type == "delimited") {
    pugi::xml_node config = format.child("DelimitedTextConfiguration");
    f.column_separator = one_char(config, "ColumnSeparator", ',');
    f.field_quote = one_char(config, "FieldQuote", '"');
    f.escape = one_char(config, "EscapeChar", 0);
    std::string sep = config.child_value("RecordSeparator");
    if (!sep.empty()) f.record_separator = sep;
    std::string headers = config.child_value("HasHeaders");
    if (!headers.empty() && !is_bool(headers)) throw err::invalid_xml_node_value("HasHeaders", headers);
    f.has_headers = headers == "true";
  } else if (type == "arrow" || type == "parquet") {
    throw err::feature_not_supported(std::string(output ? "Query output" : "Query input") + " in " + type + " format");
  } else {
    throw err::invalid_xml_node_value("Type", type);
  }
  if (f.record_separator.size() > 2 || (f.record_separator.size() == 2 && f.record_separator != "\r\n"))
    throw err::invalid_xml_node_value("RecordSeparator", f.record_separator);
  return f;
}

}  // namespace

QueryRequest parse_query_request(std::string_view xml) {
  pugi::xml_document doc;
  // Separators are whitespace ("\n"): keep whitespace-only text and line ends as sent.
  pugi::xml_node root = load_root(doc, xml, "QueryRequest",
                                  (pugi::parse_default | pugi::parse_ws_pcdata) & ~pugi::parse_eol);
  std::string type = root.child_value("QueryType");
  if (type != "SQL") throw err::invalid_xml_node_value("QueryType", type);
  QueryRequest q;
  q.expression = root.child_value("Expression");
  if (q.expression.empty()) throw err::invalid_xml_node_value("Expression", "");
  bool input_present = false, output_present = false;
  q.input = parse_text_format(root.child("InputSerialization"), false, input_present);
  q.output = parse_text_format(root.child("OutputSerialization"), true, output_present);
  if (!output_present) q.output = q.input;
  return q;
}

ServiceProperties parse_service_properties(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_node root = load_root(doc, xml, "StorageServiceProperties");
  ServiceProperties p;
  for (pugi::xml_node n : root.children()) {
    if (n.type() != pugi::node_element) continue;
    std::string_view name = n.name();
    if (name == "Logging") {
      for (const char* f : {"Delete", "Read", "Write"}) {
        std::string v = n.child_value(f);
        if (!is_bool(v)) throw err::invalid_xml_node_value(f, v);
      }
      check_retention(n.child("RetentionPolicy"), "Logging");
      p.logging = node_xml(n);
    } else if (name == "HourMetrics" || name == "MinuteMetrics") {
      std::string enabled = n.child_value("Enabled");
      if (!is_bool(enabled)) throw err::invalid_xml_node_value("Enabled", enabled);
      check_retention(n.child("RetentionPolicy"), n.name());
      (name == "HourMetrics" ? p.hour_metrics : p.minute_metrics) = node_xml(n);
    } else if (name == "Cors") {
      int count = 0;
      for (pugi::xml_node r : n.children()) {
        if (r.type() != pugi::node_element) continue;
        if (std::string_view(r.name()) != "CorsRule") throw err::invalid_xml_document();
        if (++count > 5) throw err::invalid_xml_document();
        std::string age = r.child_value("MaxAgeInSeconds");
        if (!age.empty() && age.find_first_not_of("0123456789") != std::string::npos)
          throw err::invalid_xml_node_value("MaxAgeInSeconds", age);
      }
      p.cors = node_xml(n);
    } else if (name == "DefaultServiceVersion") {
      p.default_service_version = node_xml(n);
    } else if (name == "DeleteRetentionPolicy") {
      check_retention(n, "DeleteRetentionPolicy");
      p.delete_retention_policy = node_xml(n);
    } else if (name == "StaticWebsite") {
      std::string enabled = n.child_value("Enabled");
      if (!is_bool(enabled)) throw err::invalid_xml_node_value("Enabled", enabled);
      p.static_website = node_xml(n);
    } else {
      throw err::invalid_xml_document();
    }
  }
  return p;
}

ServiceProperties merge_service_properties(const ServiceProperties& base, const ServiceProperties& u) {
  ServiceProperties out = base;
  auto take = [](std::string& dst, const std::string& src) {
    if (!src.empty()) dst = src;
  };
  take(out.logging, u.logging);
  take(out.hour_metrics, u.hour_metrics);
  take(out.minute_metrics, u.minute_metrics);
  take(out.cors, u.cors);
  take(out.default_service_version, u.default_service_version);
  take(out.delete_retention_policy, u.delete_retention_policy);
  take(out.static_website, u.static_website);
  return out;
}

std::string serialize_service_properties(const ServiceProperties& p) {
  auto or_default = [](const std::string& v, const char* d) { return v.empty() ? std::string(d) : v; };
  std::string x = "<?xml version=\"1.0\" encoding=\"utf-8\"?><StorageServiceProperties>";
  x += or_default(p.logging,
                  "<Logging><Version>1.0</Version><Delete>false</Delete><Read>false</Read><Write>false</Write>"
                  "<RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></Logging>");
  x += or_default(p.hour_metrics,
                  "<HourMetrics><Version>1.0</Version><Enabled>false</Enabled>"
                  "<RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></HourMetrics>");
  x += or_default(p.minute_metrics,
                  "<MinuteMetrics><Version>1.0</Version><Enabled>false</Enabled>"
                  "<RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></MinuteMetrics>");
  x += or_default(p.cors, "<Cors />");
  x += p.default_service_version;
  x += or_default(p.delete_retention_policy, "<DeleteRetentionPolicy><Enabled>false</Enabled></DeleteRetentionPolicy>");
  x += or_default(p.static_website, "<StaticWebsite><Enabled>false</Enabled></StaticWebsite>");
  x += "</StorageServiceProperties>";
  return x;
}

std::vector<CorsRule> cors_rules(const ServiceProperties& p) {
  std::vector<CorsRule> out;
  if (p.cors.empty()) return out;
  pugi::xml_document doc;
  if (!doc.load_buffer(p.cors.data(), p.cors.size())) return out;
  for (pugi::xml_node r : doc.document_element().children("CorsRule")) {
    CorsRule c;
    c.allowed_origins = r.child_value("AllowedOrigins");
    c.allowed_methods = r.child_value("AllowedMethods");
    c.allowed_headers = r.child_value("AllowedHeaders");
    c.exposed_headers = r.child_value("ExposedHeaders");
    std::string age = r.child_value("MaxAgeInSeconds");
    c.max_age = age.empty() ? 0 : std::atoll(age.c_str());
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace kiln::blob
