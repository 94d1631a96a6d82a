#include "batch/handler_context.h"

#include "batch/errors.h"
#include "core/time_format.h"
#include "core/url.h"

namespace kiln::batch {

Json body_json(const Ctx& c) { return parse_body(c.req.body); }

void write_json(Ctx& c, int status, const Json& body) {
  c.res.status = status;
  c.res.headers.set("Content-Type", "application/json;odata=minimalmetadata");
  c.res.headers.set("DataServiceVersion", "3.0");
  c.res.body = body.dump();
}

void write_empty(Ctx& c, int status) {
  c.res.status = status;
  c.res.headers.set("DataServiceVersion", "3.0");
  c.res.body.clear();
}

void set_entity_headers(Ctx& c, const Json& doc) {
  if (doc.contains("eTag")) c.res.headers.set("ETag", doc["eTag"].get<std::string>());
  if (doc.contains("lastModified"))
    if (auto t = timefmt::parse_iso8601(doc["lastModified"].get<std::string>()))
      c.res.headers.set("Last-Modified", timefmt::rfc1123(*t));
}

void write_created(Ctx& c, const std::string& url, const Json& doc) {
  write_empty(c, 201);
  c.res.headers.set("DataServiceId", url);
  c.res.headers.set("Location", url);
  set_entity_headers(c, doc);
}

void write_entity(Ctx& c, const std::string& entity_set, const Json& doc) {
  set_entity_headers(c, doc);
  auto select = odata::parse_select(c.req.query_param("$select").value_or(""));
  Json body = odata::apply_select(doc, select);
  Json out = {{"odata.metadata", c.base + "/$metadata#" + entity_set + "/@Element"}};
  out.update(body);
  write_json(c, 200, out);
}

Conditions request_conditions(const Ctx& c) {
  Conditions k;
  k.if_match = c.req.headers.get("If-Match");
  k.if_none_match = c.req.headers.get("If-None-Match");
  for (auto [name, field] : {std::pair{"If-Modified-Since", &k.if_modified_since_us},
                             std::pair{"If-Unmodified-Since", &k.if_unmodified_since_us}}) {
    std::string v = c.req.headers.get(name);
    if (v.empty()) continue;
    auto t = timefmt::parse_rfc1123(v);
    if (!t) throw errors::invalid_header(name, v);
    *field = timefmt::to_micros(*t);
  }
  return k;
}

bool expand_stats(const Ctx& c) {
  std::string expand = lower(c.req.query_param("$expand").value_or(""));
  size_t start = 0;
  while (start <= expand.size()) {
    size_t comma = expand.find(',', start);
    std::string item = expand.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item == "stats") return true;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return false;
}

ListQuery list_query(const Ctx& c) {
  ListQuery q;
  if (auto f = c.req.query_param("$filter"); f && !f->empty()) {
    std::string error;
    q.filter = odata::parse_filter(*f, error);
    if (!q.filter) throw errors::invalid_query("$filter", *f, error);
  }
  q.select = odata::parse_select(c.req.query_param("$select").value_or(""));
  if (auto m = c.req.query_param("maxresults")) {
    long long v = 0;
    try {
      size_t used = 0;
      v = std::stoll(*m, &used);
      if (used != m->size()) v = 0;
    } catch (...) {
      v = 0;
    }
    if (v < 1 || v > 1000) throw errors::invalid_query("maxresults", *m, "maxresults must be between 1 and 1000");
    q.max_results = size_t(v);
  }
  q.skip_token = c.req.query_param("$skiptoken").value_or("");
  return q;
}

namespace {
std::string next_link(const Ctx& c, const std::string& next_key) {
  std::string link = c.base + url::encode(c.req.path, true) + "?";
  bool first = true;
  for (const auto& [k, v] : c.req.query) {
    if (k == "$skiptoken") continue;
    link += (first ? "" : "&") + url::encode(k) + "=" + url::encode(v);
    first = false;
  }
  link += (first ? "" : "&") + std::string("$skiptoken=") + url::encode(next_key);
  return link;
}
}  // namespace

void write_page(Ctx& c, const std::string& entity_set, const std::vector<Json>& page,
                const std::vector<std::string>& select, const std::string& next_key) {
  Json value = Json::array();
  for (const Json& item : page) value.push_back(odata::apply_select(item, select));
  Json out = {{"odata.metadata", c.base + "/$metadata#" + entity_set}, {"value", std::move(value)}};
  if (!next_key.empty()) out["odata.nextLink"] = next_link(c, next_key);
  write_json(c, 200, out);
}

void write_serialized_page(Ctx& c, const std::string& entity_set, const std::vector<std::string>& items,
                           const std::string& next_key) {
  std::string body = "{\"odata.metadata\":" + Json(c.base + "/$metadata#" + entity_set).dump() + ",\"value\":[";
  size_t total = body.size() + 64;
  for (const auto& item : items) total += item.size() + 1;
  body.reserve(total);
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) body += ',';
    body += items[i];
  }
  body += ']';
  if (!next_key.empty()) body += ",\"odata.nextLink\":" + Json(next_link(c, next_key)).dump();
  body += '}';
  write_empty(c, 200);
  c.res.headers.set("Content-Type", "application/json;odata=minimalmetadata");
  c.res.body = std::move(body);
}

void write_list(Ctx& c, const std::string& entity_set, std::vector<std::pair<std::string, Json>> items) {
  ListQuery q = list_query(c);
  std::vector<Json> page;
  std::string last_key, next;
  for (auto& [key, item] : items) {
    if (!q.skip_token.empty() && key <= q.skip_token) continue;
    if (q.filter && !q.filter->matches(item)) continue;
    if (page.size() == q.max_results) {
      next = last_key;  // more matches follow: continue after the last one returned
      break;
    }
    page.push_back(std::move(item));
    last_key = key;
  }
  write_page(c, entity_set, page, q.select, next);
}

}  // namespace kiln::batch
