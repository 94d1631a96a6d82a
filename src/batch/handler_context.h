// What every Batch REST handler gets: the request/response, the account's
// engine, and helpers that write Azure's wire format (JSON bodies with
// odata.metadata, entity headers, created responses, OData paged lists).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "batch/engine.h"
#include "core/http_types.h"

namespace kiln::batch {

struct Ctx {
  http::Request& req;
  http::Response& res;
  Engine& engine;
  std::string base;  // account URL base, e.g. "http://127.0.0.1:10100"
  std::vector<std::string> seg;  // decoded path segments
};

// Body helpers
Json body_json(const Ctx& c);  // parsed object; throws InvalidRequestBody
void write_json(Ctx& c, int status, const Json& body);
void write_empty(Ctx& c, int status);
// ETag / Last-Modified headers from an entity document.
void set_entity_headers(Ctx& c, const Json& doc);
// 201 with DataServiceId/Location (the entity URL), ETag, Last-Modified.
void write_created(Ctx& c, const std::string& url, const Json& doc);
// 200 with the entity (after $select) and odata.metadata "<base>/$metadata#<set>/@Element".
void write_entity(Ctx& c, const std::string& entity_set, const Json& doc);

Conditions request_conditions(const Ctx& c);
// True when $expand lists "stats" (comma-separated, case-insensitive).
bool expand_stats(const Ctx& c);

// $filter / $select / maxresults / $skiptoken of a list request.
struct ListQuery {
  std::unique_ptr<odata::Filter> filter;
  std::vector<std::string> select;
  size_t max_results = 1000;
  std::string skip_token;
};
ListQuery list_query(const Ctx& c);
// Writes {"odata.metadata", "value", "odata.nextLink"?} for an in-memory list
// whose items are sorted by key.
void write_list(Ctx& c, const std::string& entity_set, std::vector<std::pair<std::string, Json>> items);
// Writes one page already selected by the caller (next_key empty = last page).
void write_page(Ctx& c, const std::string& entity_set, const std::vector<Json>& page,
                const std::vector<std::string>& select, const std::string& next_key);

// Same, with items already serialised (large task pages skip a parse/dump).
void write_serialized_page(Ctx& c, const std::string& entity_set, const std::vector<std::string>& items,
                           const std::string& next_key);

}  // namespace kiln::batch
