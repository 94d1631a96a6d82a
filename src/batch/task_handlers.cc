// Task operations: add, add collection (≤ 100 per call, per-task results),
// get, list (paged from the store), update, delete, terminate, reactivate.
#include "batch/errors.h"
#include "batch/handlers.h"
#include "batch/validation.h"
#include "core/time_format.h"

namespace kiln::batch::handlers {
namespace {

Json error_json(const BatchError& e) {
  Json err = {{"code", e.code}, {"message", {{"lang", "en-US"}, {"value", e.message}}}};
  if (!e.values.empty()) {
    Json values = Json::array();
    for (const auto& [k, v] : e.values) values.push_back({{"key", k}, {"value", v}});
    err["values"] = values;
  }
  return err;
}

}  // namespace

void add_task(Ctx& c, const std::string& job) {
  Json body = body_json(c);
  validate_task_add(body);
  auto results = c.engine.add_tasks(job, {body});
  if (results[0].error) throw *results[0].error;
  Json task = c.engine.get_task(job, body["id"]);
  write_created(c, task["url"], task);
}

void add_task_collection(Ctx& c, const std::string& job) {
  if (c.req.body.size() > 4 * 1024 * 1024) throw errors::body_too_large();
  Json body = body_json(c);
  const Json& value = require(body, "value", "");
  if (!value.is_array()) throw errors::invalid_request_body("'value' must be an array");
  if (value.size() > 100) throw errors::body_too_large();
  c.engine.get_job(job);  // JobNotFound before per-task results
  std::vector<Json> valid;
  std::vector<std::optional<BatchError>> invalid(value.size());
  std::vector<std::string> ids(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const Json& t = value[i];
    if (t.is_object() && t.contains("id") && t["id"].is_string()) ids[i] = t["id"];
    try {
      validate_task_add(t);
      valid.push_back(t);
    } catch (const BatchError& e) {
      invalid[i] = e;
    }
  }
  std::vector<TaskAddOutcome> added = c.engine.add_tasks(job, valid);
  Json results = Json::array();
  size_t next_valid = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    Json r = {{"taskId", ids[i]}};
    const BatchError* err = invalid[i] ? &*invalid[i] : nullptr;
    const TaskAddOutcome* ok = nullptr;
    if (!err) {
      ok = &added[next_valid++];
      if (ok->error) err = &*ok->error;
    }
    if (err) {
      r["status"] = err->status >= 500 ? "servererror" : "clienterror";
      r["error"] = error_json(*err);
    } else {
      r["status"] = "success";
      r["eTag"] = ok->etag;
      r["lastModified"] = ok->last_modified;
      r["location"] = c.base + "/jobs/" + job + "/tasks/" + ok->task_id;
    }
    results.push_back(std::move(r));
  }
  write_json(c, 200, {{"odata.metadata", c.base + "/$metadata#taskaddresult"}, {"value", results}});
}

void list_tasks(Ctx& c, const std::string& job) {
  ListQuery q = list_query(c);
  std::string next;
  std::vector<std::string> page = c.engine.list_tasks(job, q.skip_token, q.filter.get(), q.select, q.max_results, next,
                                                      expand_stats(c));
  write_serialized_page(c, "tasks", page, next);
}

void get_task(Ctx& c, const std::string& job, const std::string& task) {
  Json doc = c.engine.get_task(job, task, expand_stats(c));
  check_conditions(doc, request_conditions(c), true);
  write_entity(c, "tasks", doc);
}

void update_task(Ctx& c, const std::string& job, const std::string& task) {
  Json body = body_json(c);
  Json constraints = Json::object();
  if (auto it = body.find("constraints"); it != body.end() && !it->is_null()) {
    validate_task_constraints(*it, "constraints");
    constraints = *it;
  }
  Json doc = c.engine.update_task(job, task, constraints, request_conditions(c));
  set_entity_headers(c, doc);
  c.res.headers.set("DataServiceId", doc["url"].get<std::string>());
  write_empty(c, 200);
}

void delete_task(Ctx& c, const std::string& job, const std::string& task) {
  c.engine.delete_task(job, task, request_conditions(c));
  write_empty(c, 200);
}

void task_action(Ctx& c, const std::string& job, const std::string& task, const std::string& action) {
  Conditions cond = request_conditions(c);
  if (action == "terminate") c.engine.terminate_task(job, task, cond);
  else if (action == "reactivate") c.engine.reactivate_task(job, task, cond);
  else throw errors::resource_not_found();
  Json doc = c.engine.get_task(job, task);
  set_entity_headers(c, doc);
  c.res.headers.set("DataServiceId", doc["url"].get<std::string>());
  write_empty(c, 204);
}

void list_subtasks(Ctx& c, const std::string& job, const std::string& task) {
  c.engine.get_task(job, task);  // not multi-instance: no subtasks
  write_json(c, 200, {{"odata.metadata", c.base + "/$metadata#subtaskinformation"}, {"value", Json::array()}});
}

}  // namespace kiln::batch::handlers
