// Pool operations: add, get, exists, list, patch, updateProperties, delete,
// resize, stopResize, removeNodes; auto-scale is answered as not enabled.
#include "batch/errors.h"
#include "batch/handlers.h"
#include "batch/validation.h"

namespace kiln::batch::handlers {

void add_pool(Ctx& c) {
  Json body = body_json(c);
  validate_pool_add(body);
  c.engine.add_pool(body);
  Json pool = c.engine.get_pool(body["id"]);
  write_created(c, pool["url"], pool);
}

void list_pools(Ctx& c) {
  std::vector<std::pair<std::string, Json>> items;
  for (Json& p : c.engine.list_pools(expand_stats(c))) items.emplace_back(lower(p["id"]), std::move(p));
  write_list(c, "pools", std::move(items));
}

void get_pool(Ctx& c, const std::string& pool) {
  Json doc = c.engine.get_pool(pool, expand_stats(c));
  check_conditions(doc, request_conditions(c), true);
  write_entity(c, "pools", doc);
}

void pool_exists(Ctx& c, const std::string& pool) {
  Json doc;
  try {
    doc = c.engine.get_pool(pool);
  } catch (const BatchError& e) {
    if (e.code != "PoolNotFound") throw;
    write_empty(c, 404);  // the SDK maps 404 to False
    return;
  }
  check_conditions(doc, request_conditions(c), true);
  set_entity_headers(c, doc);
  write_empty(c, 200);
}

void delete_pool(Ctx& c, const std::string& pool) {
  c.engine.delete_pool(pool, request_conditions(c));
  write_empty(c, 202);
}

void patch_pool(Ctx& c, const std::string& pool) {
  Json body = body_json(c);
  validate_pool_update(body, false);
  Json doc = c.engine.update_pool(pool, body, false, request_conditions(c));
  set_entity_headers(c, doc);
  c.res.headers.set("DataServiceId", doc["url"].get<std::string>());
  write_empty(c, 200);
}

void pool_action(Ctx& c, const std::string& pool, const std::string& action) {
  Conditions cond = request_conditions(c);
  if (action == "updateproperties") {
    Json body = body_json(c);
    validate_pool_update(body, true);
    Json doc = c.engine.update_pool(pool, body, true, cond);
    set_entity_headers(c, doc);
    c.res.headers.set("DataServiceId", doc["url"].get<std::string>());
    write_empty(c, 204);
  } else if (action == "resize") {
    Json body = body_json(c);
    auto ded = opt_int(body, "targetDedicatedNodes", "", 0, 10000);
    auto low = opt_int(body, "targetLowPriorityNodes", "", 0, 10000);
    opt_duration(body, "resizeTimeout", "");
    std::string dealloc = lower(opt_string(body, "nodeDeallocationOption", "").value_or("requeue"));
    if (dealloc != "requeue" && dealloc != "terminate" && dealloc != "taskcompletion" && dealloc != "retaineddata")
      throw errors::invalid_property("nodeDeallocationOption", dealloc);
    c.engine.resize_pool(pool, ded ? std::optional<int>(int(*ded)) : std::nullopt,
                         low ? std::optional<int>(int(*low)) : std::nullopt, dealloc, cond);
    Json doc = c.engine.get_pool(pool, expand_stats(c));
    set_entity_headers(c, doc);
    write_empty(c, 202);
  } else if (action == "stopresize") {
    c.engine.stop_resize_pool(pool, cond);
    Json doc = c.engine.get_pool(pool, expand_stats(c));
    set_entity_headers(c, doc);
    write_empty(c, 202);
  } else if (action == "removenodes") {
    Json body = body_json(c);
    const Json& list = require(body, "nodeList", "");
    if (!list.is_array() || list.empty()) throw errors::invalid_property("nodeList", list.dump());
    if (list.size() > 100) throw errors::invalid_property("nodeList", std::to_string(list.size()), "At most 100 nodes may be removed at a time");
    std::vector<std::string> ids;
    for (const Json& id : list) {
      if (!id.is_string()) throw errors::invalid_request_body("'nodeList' must hold strings");
      ids.push_back(id);
    }
    std::string dealloc = lower(opt_string(body, "nodeDeallocationOption", "").value_or("requeue"));
    c.engine.remove_nodes(pool, ids, dealloc, cond);
    Json doc = c.engine.get_pool(pool, expand_stats(c));
    set_entity_headers(c, doc);
    write_empty(c, 202);
  } else if (action == "enableautoscale" || action == "evaluateautoscale") {
    c.engine.get_pool(pool);  // PoolNotFound first
    throw errors::not_supported("Pool auto-scaling");
  } else if (action == "disableautoscale") {
    c.engine.get_pool(pool);
    throw errors::auto_scale_not_enabled();
  } else {
    throw errors::resource_not_found();
  }
}

void lifetime_pool_stats(Ctx& c) {
  Json out = {{"odata.metadata", c.base + "/$metadata#poolstats/@Element"}};
  out.update(c.engine.lifetime_pool_stats());
  write_json(c, 200, out);
}

}  // namespace kiln::batch::handlers
