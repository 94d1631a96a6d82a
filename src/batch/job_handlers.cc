// Job operations: add, get, list, patch, update (PUT), delete, disable,
// enable, terminate, task counts.
#include "batch/errors.h"
#include "batch/handlers.h"
#include "batch/validation.h"

namespace kiln::batch::handlers {

void add_job(Ctx& c) {
  Json body = body_json(c);
  validate_job_add(body);
  c.engine.add_job(body);
  Json job = c.engine.get_job(body["id"]);
  write_created(c, job["url"], job);
}

void list_jobs(Ctx& c) {
  std::vector<std::pair<std::string, Json>> items;
  for (Json& j : c.engine.list_jobs(expand_stats(c))) items.emplace_back(lower(j["id"]), std::move(j));
  write_list(c, "jobs", std::move(items));
}

void get_job(Ctx& c, const std::string& job) {
  Json doc = c.engine.get_job(job, expand_stats(c));
  check_conditions(doc, request_conditions(c), true);
  write_entity(c, "jobs", doc);
}

void delete_job(Ctx& c, const std::string& job) {
  c.engine.delete_job(job, request_conditions(c));
  write_empty(c, 202);
}

void update_job(Ctx& c, const std::string& job, bool replace) {
  Json body = body_json(c);
  validate_job_update(body, replace);
  Json doc = c.engine.update_job(job, body, replace, request_conditions(c));
  set_entity_headers(c, doc);
  c.res.headers.set("DataServiceId", doc["url"].get<std::string>());
  write_empty(c, 200);
}

void job_action(Ctx& c, const std::string& job, const std::string& action) {
  Conditions cond = request_conditions(c);
  if (action == "disable") {
    Json body = body_json(c);
    std::string option = lower(req_string(body, "disableTasks", ""));
    if (option != "requeue" && option != "terminate" && option != "wait")
      throw errors::invalid_property("disableTasks", option);
    c.engine.disable_job(job, option, cond);
  } else if (action == "enable") {
    c.engine.enable_job(job, cond);
  } else if (action == "terminate") {
    std::string reason;
    if (!c.req.body.empty()) reason = opt_string(body_json(c), "terminateReason", "").value_or("");
    c.engine.terminate_job(job, reason, cond);
  } else {
    throw errors::resource_not_found();
  }
  Json doc = c.engine.get_job(job);
  set_entity_headers(c, doc);
  c.res.headers.set("DataServiceId", doc["url"].get<std::string>());
  write_empty(c, 202);
}

void lifetime_job_stats(Ctx& c) {
  Json out = {{"odata.metadata", c.base + "/$metadata#jobstats/@Element"}};
  out.update(c.engine.lifetime_job_stats());
  write_json(c, 200, out);
}

void job_task_counts(Ctx& c, const std::string& job) {
  Json counts = c.engine.task_counts(job);
  Json out = {{"odata.metadata", c.base + "/$metadata#Microsoft.Azure.Batch.Protocol.Entities.TaskCountsResult"}};
  out.update(counts);
  write_json(c, 200, out);
}

}  // namespace kiln::batch::handlers
