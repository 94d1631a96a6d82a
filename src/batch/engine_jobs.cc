// Jobs: the job state machine (active, disabled, terminating/completed,
// deleting), maxWallClockTime and onAllTasksComplete, and the per-job task
// counts kept incrementally (a million-task job is never rescanned).
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

Json Engine::get_job(const std::string& id, bool with_stats) {
  std::lock_guard lk(mu_);
  JobRt& job = job_or_throw(id);
  Json v = job_view(job);
  if (with_stats) v["stats"] = job_stats(job);
  return v;
}

std::vector<Json> Engine::list_jobs(bool with_stats) {
  std::lock_guard lk(mu_);
  std::vector<Json> out;
  for (auto& [k, j] : jobs_) {
    out.push_back(job_view(j));
    if (with_stats) out.back()["stats"] = job_stats(j);
  }
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
    store_->delete_usage("job:" + key);
    usage_dirty_.erase("job:" + key);
    jobs_.erase(key);
  }
  deleting_jobs_.clear();
}

Json Engine::update_job(const std::string& id, const Json& changes, bool replace, const Conditions& c) {
  std::lock_guard lk(mu_);
  JobRt& job = job_or_throw(id);
  check_conditions(job.doc, c, false);
  std::string state = require_job_not_ended(job);
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
    std::string state = require_job_not_ended(job);
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
  std::string state = require_job_not_ended(job);
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
    std::string state = require_job_not_ended(job);
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

}  // namespace kiln::batch
