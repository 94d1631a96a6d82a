// Jobs and tasks: the job state machine (active, disabling/disabled, enabling,
// terminating/completed, deleting), task CRUD, terminate/reactivate, and the
// per-job task counts kept incrementally (a million-task job is never rescanned).
#include <algorithm>

#include "batch/engine.h"
#include "core/log.h"
#include "core/time_format.h"

namespace kiln::batch {
namespace {

void adjust(int64_t& active, int64_t& running, int64_t& completed, int64_t& succeeded, int64_t& failed,
            const std::string& state, const std::string& result, int64_t n) {
  if (state == "active") active += n;
  else if (state == "completed") {
    completed += n;
    (result == "success" ? succeeded : failed) += n;
  } else running += n;
}

Json counts_json(int64_t a, int64_t r, int64_t c, int64_t s, int64_t f) {
  return {{"active", a}, {"running", r}, {"completed", c}, {"succeeded", s}, {"failed", f}};
}

}  // namespace

void Engine::count_transition(JobRt& job, const std::string& from_state, const std::string& from_result,
                              const std::string& to_state, const std::string& to_result, int slots) {
  Counts* cs[] = {&job.counts, &job.slot_counts};
  int64_t n[] = {1, slots};
  for (int i = 0; i < 2; ++i) {
    Counts& c = *cs[i];
    if (!from_state.empty())
      adjust(c.active, c.running, c.completed, c.succeeded, c.failed, from_state, from_result, -n[i]);
    if (!to_state.empty())
      adjust(c.active, c.running, c.completed, c.succeeded, c.failed, to_state, to_result, n[i]);
  }
}

void Engine::persist_job(const JobRt& job) { store_->put_job(lower(job.doc["id"]), job.doc); }

Json Engine::job_view(const JobRt& job) const {
  Json v = job.doc;
  v["url"] = entity_url("/jobs/" + v["id"].get<std::string>());
  return v;
}

Json Engine::task_view(const std::string& job_id, const Json& doc) const {
  Json v = doc;
  v["url"] = entity_url("/jobs/" + job_id + "/tasks/" + v.value("id", ""));
  return v;
}

void Engine::add_job(const Json& spec) {
  std::lock_guard lk(mu_);
  std::string key = lower(spec["id"]);
  if (auto it = jobs_.find(key); it != jobs_.end())
    throw it->second.doc.value("state", "") == "deleting" ? errors::job_being_deleted() : errors::job_exists();
  JobRt job;
  Json& d = job.doc;
  d = spec;
  int64_t now = now_us();
  d["creationTime"] = iso_time(now);
  d["state"] = "active";
  d["stateTransitionTime"] = iso_time(now);
  if (!d.contains("priority")) d["priority"] = 0;
  if (!d.contains("maxParallelTasks")) d["maxParallelTasks"] = -1;
  if (!d.contains("allowTaskPreemption")) d["allowTaskPreemption"] = false;
  if (!d.contains("usesTaskDependencies")) d["usesTaskDependencies"] = false;
  Json& cons = d["constraints"];
  if (!cons.is_object()) cons = Json::object();
  if (!cons.contains("maxWallClockTime")) cons["maxWallClockTime"] = kMaxDuration;
  if (!cons.contains("maxTaskRetryCount")) cons["maxTaskRetryCount"] = 0;
  if (!d.contains("onAllTasksComplete")) d["onAllTasksComplete"] = "noaction";
  if (!d.contains("onTaskFailure")) d["onTaskFailure"] = "noaction";
  d["executionInfo"] = {{"startTime", iso_time(now)}, {"poolId", spec["poolInfo"].value("poolId", "")}};
  touch(d);
  job.seq = ++job_seq_;
  store_->put_job(key, d);
  JobRt& stored = jobs_[key] = std::move(job);
  maybe_complete_job(stored);
  wake();
}

Json Engine::get_job(const std::string& id) {
  std::lock_guard lk(mu_);
  return job_view(job_or_throw(id));
}

std::vector<Json> Engine::list_jobs() {
  std::lock_guard lk(mu_);
  std::vector<Json> out;
  for (auto& [k, j] : jobs_) out.push_back(job_view(j));
  return out;
}

// Terminates the job's running tasks (not requeued) and empties its queue.
void Engine::delete_job(const std::string& id, const Conditions& c) {
  std::vector<Action> actions;
  {
    std::lock_guard lk(mu_);
    JobRt& job = job_or_throw(id);
    check_conditions(job.doc, c, false);
    if (job.doc.value("state", "") == "deleting") return;
    set_state(job.doc, "deleting");
    touch(job.doc);
    persist_job(job);
    std::string key = lower(id);
    for (auto& [task_key, live] : job.live) {
      if (live.state == 'a') continue;
      auto pit = pools_.find(live.pool_key);
      if (pit == pools_.end()) continue;
      auto nit = pit->second.nodes.find(live.node_id);
      if (nit == pit->second.nodes.end()) continue;
      NodeRt& node = nit->second;
      node.used_slots -= live.slots;
      node.running_tasks -= 1;
      node.running.erase({key, task_key});
      if (node.agent) {
        auto agent = node.agent;
        std::string job_id = job.doc["id"], task_key_copy = task_key;
        actions.push_back([agent, job_id, task_key_copy] { agent->terminate(job_id, task_key_copy); });
      }
    }
    job.live.clear();
    job.queue.clear();
    // Task directories go with the job, on every node of its pool.
    std::string pool_key = lower(job.doc["poolInfo"].value("poolId", ""));
    if (auto pit = pools_.find(pool_key); pit != pools_.end())
      for (auto& [nid, node] : pit->second.nodes)
        if (node.agent) {
          auto agent = node.agent;
          std::string dir = "workitems/" + job.doc["id"].get<std::string>();
          actions.push_back([agent, dir] { agent->delete_file(dir, true); });
        }
    deleting_jobs_.insert(key);
    wake();
  }
  run_actions(actions);
}

void Engine::finish_job_deletions() {
  for (const std::string& key : deleting_jobs_) {
    store_->delete_job(key);
    jobs_.erase(key);
    for (auto it = retention_.begin(); it != retention_.end();)
      it = lower(std::get<0>(it->second)) == key ? retention_.erase(it) : std::next(it);
  }
  deleting_jobs_.clear();
}

Json Engine::update_job(const std::string& id, const Json& changes, bool replace, const Conditions& c) {
  std::lock_guard lk(mu_);
  JobRt& job = job_or_throw(id);
  check_conditions(job.doc, c, false);
  std::string state = job.doc.value("state", "");
  if (state == "deleting") throw errors::job_being_deleted();
  if (state == "completed") throw errors::job_completed();
  if (state == "terminating") throw errors::job_being_terminated();
  Json& d = job.doc;
  if (changes.contains("poolInfo") && !changes["poolInfo"].is_null()) {
    if (state != "disabled" && lower(changes["poolInfo"].value("poolId", "")) != lower(d["poolInfo"].value("poolId", "")))
      throw errors::job_not_in_state("JobNotDisabled", "The pool of a job can only be changed while the job is disabled.");
    d["poolInfo"] = changes["poolInfo"];
    d["executionInfo"]["poolId"] = d["poolInfo"].value("poolId", "");
  }
  for (const char* name : {"priority", "maxParallelTasks", "allowTaskPreemption", "onAllTasksComplete", "metadata"}) {
    if (changes.contains(name) && !changes[name].is_null()) d[name] = changes[name];
    else if (replace) {
      std::string n = name;
      if (n == "priority") d[name] = 0;
      else if (n == "maxParallelTasks") d[name] = -1;
      else if (n == "allowTaskPreemption") d[name] = false;
      else if (n == "onAllTasksComplete") d[name] = "noaction";
      else d.erase(name);
    }
  }
  if (changes.contains("constraints") && !changes["constraints"].is_null()) {
    Json cons = changes["constraints"];
    if (!cons.contains("maxWallClockTime")) cons["maxWallClockTime"] = replace ? Json(kMaxDuration) : d["constraints"]["maxWallClockTime"];
    if (!cons.contains("maxTaskRetryCount")) cons["maxTaskRetryCount"] = replace ? Json(0) : d["constraints"]["maxTaskRetryCount"];
    d["constraints"] = cons;
  } else if (replace) {
    d["constraints"] = {{"maxWallClockTime", kMaxDuration}, {"maxTaskRetryCount", 0}};
  }
  touch(d);
  persist_job(job);
  maybe_complete_job(job);
  wake();
  return job_view(job);
}

void Engine::disable_job(const std::string& id, const std::string& disable_tasks, const Conditions& c) {
  std::vector<Action> actions;
  {
    std::lock_guard lk(mu_);
    JobRt& job = job_or_throw(id);
    check_conditions(job.doc, c, false);
    std::string state = job.doc.value("state", "");
    if (state == "deleting") throw errors::job_being_deleted();
    if (state == "completed") throw errors::job_completed();
    if (state != "active")
      throw errors::job_not_in_state("JobNotActive", "The specified job is not in the active state.");
    set_state(job.doc, "disabled");
    job.doc["previousState"] = "active";
    if (disable_tasks != "wait") {
      std::vector<std::string> running;
      for (auto& [k, live] : job.live)
        if (live.state != 'a') running.push_back(k);
      for (auto& k : running) stop_running_task(job, k, job.live.at(k), disable_tasks == "requeue", actions);
    }
    touch(job.doc);
    persist_job(job);
  }
  run_actions(actions);
}

void Engine::enable_job(const std::string& id, const Conditions& c) {
  std::lock_guard lk(mu_);
  JobRt& job = job_or_throw(id);
  check_conditions(job.doc, c, false);
  std::string state = job.doc.value("state", "");
  if (state == "deleting") throw errors::job_being_deleted();
  if (state == "completed") throw errors::job_completed();
  if (state != "disabled")
    throw errors::job_not_in_state("JobNotDisabled", "The specified job is not in the disabled state.");
  set_state(job.doc, "active");
  touch(job.doc);
  persist_job(job);
  maybe_complete_job(job);
  wake();
}

void Engine::terminate_job(const std::string& id, const std::string& reason, const Conditions& c) {
  std::vector<Action> actions;
  {
    std::lock_guard lk(mu_);
    JobRt& job = job_or_throw(id);
    check_conditions(job.doc, c, false);
    std::string state = job.doc.value("state", "");
    if (state == "deleting") throw errors::job_being_deleted();
    if (state == "completed") throw errors::job_completed();
    if (state == "terminating") throw errors::job_being_terminated();
    begin_termination(job, reason.empty() ? "UserTerminate" : reason, actions);
    persist_job(job);
  }
  run_actions(actions);
}

// Sets the job terminating: running tasks are ended (not requeued); the job
// completes once nothing runs.
void Engine::begin_termination(JobRt& job, const std::string& reason, std::vector<Action>& actions) {
  job.doc["executionInfo"]["terminateReason"] = reason;
  set_state(job.doc, "terminating");
  std::vector<std::string> running;
  for (auto& [k, live] : job.live)
    if (live.state != 'a') running.push_back(k);
  for (auto& k : running) stop_running_task(job, k, job.live.at(k), false, actions);
  touch(job.doc);
  maybe_complete_job(job);
}

// Scheduler pass: jobs past their maxWallClockTime (measured from creation) are terminated.
void Engine::expire_jobs(std::vector<Action>& actions) {
  int64_t now = now_us();
  for (auto& [key, job] : jobs_) {
    std::string state = job.doc.value("state", "");
    if (state != "active" && state != "disabled") continue;
    auto wall = parse_duration_us(job.doc["constraints"].value("maxWallClockTime", kMaxDuration));
    if (!wall || *wall >= int64_t(9e17)) continue;
    auto created = timefmt::parse_iso8601(job.doc.value("creationTime", ""));
    if (!created || timefmt::to_micros(*created) + *wall > now) continue;
    begin_termination(job, "MaxWallClockTimeExpiry", actions);
    persist_job(job);
  }
}

// Moves a job to completed when it is terminating with nothing running, or when
// onAllTasksComplete=terminatejob and no task is active or running.
void Engine::maybe_complete_job(JobRt& job) {
  std::string state = job.doc.value("state", "");
  bool finish = false;
  if (state == "terminating" && job.counts.running == 0) finish = true;
  if (state == "active" && job.doc.value("onAllTasksComplete", "noaction") == "terminatejob" &&
      job.counts.active == 0 && job.counts.running == 0) {
    job.doc["executionInfo"]["terminateReason"] = "AllTasksComplete";
    finish = true;
  }
  if (!finish) return;
  set_state(job.doc, "completed");
  job.doc["executionInfo"]["endTime"] = iso_time(now_us());
  touch(job.doc);
  persist_job(job);
}

Json Engine::task_counts(const std::string& id) {
  std::lock_guard lk(mu_);
  JobRt& job = job_or_throw(id);
  const Counts& c = job.counts;
  const Counts& s = job.slot_counts;
  return {{"taskCounts", counts_json(c.active, c.running, c.completed, c.succeeded, c.failed)},
          {"taskSlotCounts", counts_json(s.active, s.running, s.completed, s.succeeded, s.failed)}};
}

std::vector<TaskAddOutcome> Engine::add_tasks(const std::string& job_id, const std::vector<Json>& specs) {
  std::lock_guard lk(mu_);
  JobRt& job = job_or_throw(job_id);
  std::string state = job.doc.value("state", "");
  if (state == "deleting") throw errors::job_being_deleted();
  if (state == "completed" || state == "terminating") throw errors::job_completed();
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

Json Engine::get_task(const std::string& job_id, const std::string& task_id) {
  std::lock_guard lk(mu_);
  JobRt& job = job_or_throw(job_id);
  auto row = store_->get_task(lower(job_id), lower(task_id));
  if (!row) throw errors::task_not_found();
  return task_view(job.doc["id"], row->json);
}

std::vector<std::string> Engine::list_tasks(const std::string& job_id, const std::string& after_key,
                                            const odata::Filter* filter, const std::vector<std::string>& select,
                                            size_t limit, std::string& next_key) {
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
                                                              const std::string& text) {
    if (out.size() >= limit || scanned >= limit * 50) {
      more = true;
      return false;
    }
    ++scanned;
    last = key;
    if (!filter && select.empty() && text.size() > 2 && text.back() == '}') {
      // Fast path: the stored document plus its url, without a parse.
      std::string item = text;
      item.pop_back();
      item += ",\"url\":" + Json(url_prefix + task_id).dump() + "}";
      out.push_back(std::move(item));
      return true;
    }
    Json doc = Json::parse(text);
    if (filter && !filter->matches(doc)) return true;
    out.push_back(odata::apply_select(task_view(id, doc), select).dump());
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
  std::string state = job.doc.value("state", "");
  if (state == "completed" || state == "terminating") throw errors::job_completed();
  if (state == "deleting") throw errors::job_being_deleted();
  std::string job_key = lower(job_id), key = lower(task_id);
  auto row = store_->get_task(job_key, key);
  if (!row) throw errors::task_not_found();
  check_conditions(row->json, c, false);
  if (row->state != "completed" || row->result != "failure") throw errors::task_not_reactivatable();
  Json& ex = row->json["executionInfo"];
  for (const char* f : {"startTime", "endTime", "exitCode", "failureInfo", "result", "lastRetryTime"}) ex.erase(f);
  ex["retryCount"] = 0;
  row->json.erase("nodeInfo");
  set_state(row->json, "active");
  touch(row->json);
  count_transition(job, row->state, row->result, "active", "", row->slots);
  row->state = "active";
  row->result.clear();
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
  return loc;
}

// Completes a task that is not running (terminate of an active task, job
// termination) with Azure's "ended" failure information.
void Engine::end_task_now(JobRt& job, const std::string& key, TaskRow& row, const std::string& code,
                          const std::string& message) {
  Json& ex = row.json["executionInfo"];
  ex["endTime"] = iso_time(now_us());
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
  store_->update_task(lower(job.doc["id"]), row);
  job.live.erase(key);
}

}  // namespace kiln::batch
