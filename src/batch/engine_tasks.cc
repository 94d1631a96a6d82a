// Tasks outside the scheduler: add (one transaction per request), get, list
// (pages straight from the store), update, delete, terminate, reactivate, and
// where a task's files live.
#include <set>

#include "batch/engine.h"

namespace kiln::batch {

Json Engine::task_view(const std::string& job_id, const Json& doc) const {
  Json v = doc;
  v["url"] = entity_url("/jobs/" + job_id + "/tasks/" + v.value("id", ""));
  return v;
}

std::vector<TaskAddOutcome> Engine::add_tasks(const std::string& job_id, const std::vector<Json>& specs) {
  std::lock_guard lk(mu_);
  JobRt& job = job_or_throw(job_id);
  if (require_job_not_ended(job) == "terminating") throw errors::job_completed();
  std::string job_key = lower(job_id);
  std::vector<TaskAddOutcome> out;
  std::vector<TaskRow> rows;
  std::vector<size_t> row_outcome;  // rows[i] reports into out[row_outcome[i]]
  std::set<std::string> seen;
  const std::string now = iso_time(now_us());  // one timestamp for the whole request
  int job_retries = job.doc["constraints"].value("maxTaskRetryCount", 0);
  for (const Json& spec : specs) {
    TaskAddOutcome o;
    o.task_id = spec["id"];
    std::string key = lower(o.task_id);
    if (!seen.insert(key).second || job.live.count(key)) {
      o.error = errors::task_exists();
      out.push_back(std::move(o));
      continue;
    }
    TaskRow row;
    row.key = key;
    row.state = "active";
    row.slots = spec.value("requiredSlots", 1);
    Json& d = row.json;
    d = spec;
    d["creationTime"] = now;
    d["state"] = "active";
    d["stateTransitionTime"] = now;
    if (!d.contains("userIdentity"))
      d["userIdentity"] = {{"autoUser", {{"scope", "pool"}, {"elevationLevel", "nonadmin"}}}};
    Json& cons = d["constraints"];
    if (!cons.is_object()) cons = Json::object();
    if (!cons.contains("maxWallClockTime")) cons["maxWallClockTime"] = kMaxDuration;
    if (!cons.contains("retentionTime")) cons["retentionTime"] = "P7D";
    if (!cons.contains("maxTaskRetryCount")) cons["maxTaskRetryCount"] = job_retries;
    d["requiredSlots"] = row.slots;
    d["executionInfo"] = {{"retryCount", 0}, {"requeueCount", 0}};
    d["eTag"] = new_etag();
    d["lastModified"] = now;
    o.etag = d["eTag"];
    o.last_modified = now;
    row_outcome.push_back(out.size());
    rows.push_back(std::move(row));
    out.push_back(std::move(o));
  }
  if (!rows.empty()) {
    std::vector<bool> inserted = store_->insert_tasks(job_key, rows);
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!inserted[i]) {  // a completed task with this id already exists
        out[row_outcome[i]].error = errors::task_exists();
        continue;
      }
      LiveTask live;
      live.slots = rows[i].slots;
      job.live.emplace(rows[i].key, live);
      job.queue.push_back(rows[i].key);
      count_transition(job, "", "", "active", "", rows[i].slots);
    }
    wake();
  }
  return out;
}

Json Engine::get_task(const std::string& job_id, const std::string& task_id, bool with_stats) {
  std::lock_guard lk(mu_);
  JobRt& job = job_or_throw(job_id);
  auto row = store_->get_task(lower(job_id), lower(task_id));
  if (!row) throw errors::task_not_found();
  Json v = task_view(job.doc["id"], row->json);
  if (with_stats) v["stats"] = task_stats(job.doc["id"], row->json, row->usage);
  return v;
}

std::vector<std::string> Engine::list_tasks(const std::string& job_id, const std::string& after_key,
                                            const odata::Filter* filter, const std::vector<std::string>& select,
                                            size_t limit, std::string& next_key, bool with_stats) {
  std::lock_guard lk(mu_);
  JobRt& job = job_or_throw(job_id);
  std::string id = job.doc["id"];
  std::string url_prefix = entity_url("/jobs/" + id + "/tasks/");
  std::vector<std::string> out;
  next_key.clear();
  std::optional<std::string> state = filter ? filter->required_state() : std::nullopt;
  // Rows that fail the filter still advance the cursor; a scan of a huge job
  // stops after a bounded number of rows and hands back a continuation.
  size_t scanned = 0;
  std::string last;
  bool more = false;
  store_->scan_task_docs(lower(job_id), after_key, state, [&](const std::string& key, const std::string& task_id,
                                                              const std::string& text, const std::string& usage) {
    if (out.size() >= limit || scanned >= limit * 50) {
      more = true;
      return false;
    }
    ++scanned;
    last = key;
    if (!filter && select.empty() && !with_stats && text.size() > 2 && text.back() == '}') {
      // Fast path: the stored document plus its url, without a parse.
      std::string item = text;
      item.pop_back();
      item += ",\"url\":" + Json(url_prefix + task_id).dump() + "}";
      out.push_back(std::move(item));
      return true;
    }
    Json doc = Json::parse(text);
    if (filter && !filter->matches(doc)) return true;
    Json view = task_view(id, doc);
    if (with_stats) view["stats"] = task_stats(id, doc, Usage::from_text(usage));
    out.push_back(odata::apply_select(view, select).dump());
    return true;
  });
  if (more) next_key = last;
  return out;
}

Json Engine::update_task(const std::string& job_id, const std::string& task_id, const Json& constraints,
                         const Conditions& c) {
  std::lock_guard lk(mu_);
  JobRt& job = job_or_throw(job_id);
  auto row = store_->get_task(lower(job_id), lower(task_id));
  if (!row) throw errors::task_not_found();
  check_conditions(row->json, c, false);
  Json cons = constraints.is_object() ? constraints : Json::object();
  if (!cons.contains("maxWallClockTime")) cons["maxWallClockTime"] = kMaxDuration;
  if (!cons.contains("retentionTime")) cons["retentionTime"] = "P7D";
  if (!cons.contains("maxTaskRetryCount")) cons["maxTaskRetryCount"] = job.doc["constraints"].value("maxTaskRetryCount", 0);
  row->json["constraints"] = cons;
  touch(row->json);
  store_->update_task(lower(job_id), *row);
  return task_view(job.doc["id"], row->json);
}

void Engine::delete_task(const std::string& job_id, const std::string& task_id, const Conditions& c) {
  std::vector<Action> actions;
  {
    std::lock_guard lk(mu_);
    JobRt& job = job_or_throw(job_id);
    std::string job_key = lower(job_id), key = lower(task_id);
    auto row = store_->get_task(job_key, key);
    if (!row) throw errors::task_not_found();
    check_conditions(row->json, c, false);
    auto lit = job.live.find(key);
    std::string state = row->state, result = row->result;
    if (lit != job.live.end()) {
      LiveTask& live = lit->second;
      if (live.state != 'a') {
        auto pit = pools_.find(live.pool_key);
        if (pit != pools_.end()) {
          auto nit = pit->second.nodes.find(live.node_id);
          if (nit != pit->second.nodes.end() && nit->second.agent) {
            auto agent = nit->second.agent;
            std::string jid = job.doc["id"], tid = row->json["id"];
            actions.push_back([agent, jid, tid] {
              agent->terminate(jid, tid);
              agent->remove_task_dir(jid, tid);
            });
          }
        }
        free_slots(live.pool_key, live.node_id, job_key, key, live.slots, false);
      }
      job.live.erase(lit);
    } else if (row->json.contains("nodeInfo")) {
      const Json& ni = row->json["nodeInfo"];
      auto pit = pools_.find(lower(ni.value("poolId", "")));
      if (pit != pools_.end()) {
        auto nit = pit->second.nodes.find(ni.value("nodeId", ""));
        if (nit != pit->second.nodes.end() && nit->second.agent) {
          auto agent = nit->second.agent;
          std::string jid = job.doc["id"], tid = row->json["id"];
          actions.push_back([agent, jid, tid] { agent->remove_task_dir(jid, tid); });
        }
      }
    }
    count_transition(job, state, result, "", "", row->slots);
    store_->delete_task(job_key, key);
    maybe_complete_job(job);
    wake();
  }
  run_actions(actions);
}

void Engine::terminate_task(const std::string& job_id, const std::string& task_id, const Conditions& c) {
  std::vector<Action> actions;
  {
    std::lock_guard lk(mu_);
    JobRt& job = job_or_throw(job_id);
    std::string key = lower(task_id);
    auto row = store_->get_task(lower(job_id), key);
    if (!row) throw errors::task_not_found();
    check_conditions(row->json, c, false);
    if (row->state == "completed") throw errors::task_completed();
    LiveTask& live = job.live.at(key);
    if (live.state == 'a') {
      end_task_now(job, key, *row, "TaskEnded", "Task Was Ended by User Request");
    } else {
      stop_running_task(job, key, live, false, actions);
    }
    maybe_complete_job(job);
  }
  run_actions(actions);
}

void Engine::reactivate_task(const std::string& job_id, const std::string& task_id, const Conditions& c) {
  std::lock_guard lk(mu_);
  JobRt& job = job_or_throw(job_id);
  if (require_job_not_ended(job) == "terminating") throw errors::job_completed();
  std::string job_key = lower(job_id), key = lower(task_id);
  auto row = store_->get_task(job_key, key);
  if (!row) throw errors::task_not_found();
  check_conditions(row->json, c, false);
  if (row->state != "completed") throw errors::task_not_completed();
  if (row->result != "failure") throw errors::task_succeeded();
  Json& ex = row->json["executionInfo"];
  for (const char* f : {"startTime", "endTime", "exitCode", "failureInfo", "result", "lastRetryTime"}) ex.erase(f);
  ex["retryCount"] = 0;
  row->json.erase("nodeInfo");
  set_state(row->json, "active");
  touch(row->json);
  count_transition(job, row->state, row->result, "active", "", row->slots);
  row->state = "active";
  row->result.clear();
  row->expires_us = 0;  // its directory is in use again; the next completion sets a new deadline
  store_->update_task(job_key, *row);
  LiveTask live;
  live.slots = row->slots;
  job.live[key] = live;
  job.queue.push_back(key);
  wake();
}

TaskLocation Engine::task_location(const std::string& job_id, const std::string& task_id) {
  std::lock_guard lk(mu_);
  JobRt& job = job_or_throw(job_id);
  auto row = store_->get_task(lower(job_id), lower(task_id));
  if (!row) throw errors::task_not_found();
  if (!row->json.contains("nodeInfo"))
    throw errors::operation_invalid("The task has not been scheduled on a compute node yet.");
  const Json& ni = row->json["nodeInfo"];
  auto pit = pools_.find(lower(ni.value("poolId", "")));
  if (pit == pools_.end()) throw errors::node_not_found();
  auto nit = pit->second.nodes.find(ni.value("nodeId", ""));
  if (nit == pit->second.nodes.end() || !nit->second.agent) throw errors::node_not_found();
  TaskLocation loc;
  loc.agent = nit->second.agent;
  loc.task_dir = loc.agent->task_dir(job.doc["id"], row->json["id"]);
  loc.node_url = ni.value("nodeUrl", "");
  loc.completed = row->state == "completed";
  return loc;
}

// Completes a task that is not running (terminate of an active task, job
// termination) with Azure's "ended" failure information.
void Engine::end_task_now(JobRt& job, const std::string& key, TaskRow& row, const std::string& code,
                          const std::string& message) {
  Json& ex = row.json["executionInfo"];
  int64_t now = now_us();
  ex["endTime"] = iso_time(now);
  ex["result"] = "failure";
  ex["failureInfo"] = {{"category", "usererror"},
                       {"code", code},
                       {"message", message},
                       {"details", Json::array({{{"name", "Message"}, {"value", message}}})}};
  set_state(row.json, "completed");
  touch(row.json);
  count_transition(job, row.state, row.result, "completed", "failure", row.slots);
  row.state = "completed";
  row.result = "failure";
  Usage delta;
  delta.failed = 1;
  delta.wait_us = row.json.contains("nodeInfo") ? row.usage.wait_us : 0;
  delta.updated_us = now;
  account_usage(job, lower(row.json.value("/nodeInfo/poolId"_json_pointer, std::string())), delta);
  schedule_retention(row, now);
  store_->update_task(lower(job.doc["id"]), row);
  job.live.erase(key);
}

}  // namespace kiln::batch
