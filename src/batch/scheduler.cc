// Task placement and execution: the scheduler pass that assigns active tasks to
// nodes with free slots (taskSlotsPerNode, requiredSlots, pack/spread, job
// priority, maxParallelTasks), the TaskSpec handed to the node agent, and the
// agent's callbacks that drive a task through preparing → running → completed,
// applying retries (maxTaskRetryCount) and retention.
#include <algorithm>

#include "batch/engine.h"
#include "core/log.h"
#include "core/time_format.h"

namespace kiln::batch {

node::UserIdentity Engine::user_identity(const Json& holder, const Json& pool_doc) {
  node::UserIdentity u;
  u.pool_scope = true;
  auto it = holder.find("userIdentity");
  if (it == holder.end() || !it->is_object()) return u;
  if (it->contains("username")) {
    u.user_name = (*it)["username"];
    u.pool_scope = false;
    for (const Json& acct : pool_doc.value("userAccounts", Json::array()))
      if (acct.value("name", "") == u.user_name) u.elevated = acct.value("elevationLevel", "nonadmin") == "admin";
    return u;
  }
  const Json& au = it->value("autoUser", Json::object());
  u.elevated = au.value("elevationLevel", "nonadmin") == "admin";
  u.pool_scope = au.value("scope", "pool") == "pool";
  return u;
}

Json Engine::failure_info(const node::TaskOutcome& o, bool terminated) {
  auto make = [](const std::string& category, const std::string& code, const std::string& message,
                 Json details) {
    if (details.empty()) details = Json::array({{{"name", "Message"}, {"value", message}}});
    return Json{{"category", category}, {"code", code}, {"message", message}, {"details", details}};
  };
  if (terminated || o.terminated) return make("usererror", "TaskEnded", "Task Was Ended by User Request", {});
  // Azure's error-handling guide: past maxWallClockTime the task completes with
  // failureInfo { category: ServerError, code: TaskEnded }.
  if (o.timed_out)
    return make("servererror", "TaskEnded", "The task exceeded its maximum wall clock time and was ended", {});
  if (o.exit_code && *o.exit_code != 0)
    return make("usererror", "FailureExitCode", "The task exited with an exit code representing a failure", {});
  Json details = Json::array();
  for (const auto& [k, v] : o.failure_details) details.push_back({{"name", k}, {"value", v}});
  return make(o.failure_category.empty() ? "servererror" : lower(o.failure_category),
              o.failure_code.empty() ? "TaskFailed" : o.failure_code,
              o.failure_message.empty() ? "The task failed to run" : o.failure_message, details);
}

node::TaskSpec Engine::task_spec(const JobRt& job, const TaskRow& row, const PoolRt& pool) const {
  const Json& d = row.json;
  node::TaskSpec spec;
  spec.kind = node::TaskSpec::Kind::kTask;
  spec.job_id = job.doc["id"];
  spec.task_id = d["id"];
  spec.attempt = d["executionInfo"].value("retryCount", 0);
  spec.command_line = d.value("commandLine", "");
  for (const Json& e : job.doc.value("commonEnvironmentSettings", Json::array()))
    spec.environment[e.value("name", "")] = e.value("value", "");
  for (const Json& e : d.value("environmentSettings", Json::array()))
    spec.environment[e.value("name", "")] = e.value("value", "");
  for (const Json& f : d.value("resourceFiles", Json::array()))
    spec.resource_files.push_back({f.value("httpUrl", ""), f.value("storageContainerUrl", ""),
                                   f.value("blobPrefix", ""), f.value("filePath", ""), f.value("fileMode", "")});
  spec.user = user_identity(d, pool.doc);
  std::string wall = d["constraints"].value("maxWallClockTime", kMaxDuration);
  if (auto us = parse_duration_us(wall); us && *us < int64_t(1e17)) spec.max_wall_clock_ms = *us / 1000;
  return spec;
}

void Engine::assign(std::vector<Action>& actions, const std::string& preferred_node) {
  std::map<std::string, std::vector<JobRt*>> by_pool;
  for (auto& [key, job] : jobs_)
    if (!job.queue.empty() && job.doc.value("state", "") == "active")
      by_pool[lower(job.doc["poolInfo"].value("poolId", ""))].push_back(&job);
  for (auto& [pool_key, jobs] : by_pool) {
    auto pit = pools_.find(pool_key);
    if (pit == pools_.end() || pit->second.deleting) continue;
    PoolRt& pool = pit->second;
    int per_node = pool.doc.value("taskSlotsPerNode", 1);
    bool pack = pool.doc["taskSchedulingPolicy"].value("nodeFillType", "spread") == "pack";
    auto pick = [&](int slots) -> NodeRt* {
      NodeRt* best = nullptr;
      int best_free = 0;
      for (auto& [nid, n] : pool.nodes) {
        std::string s = n.doc.value("state", "");
        if (!n.agent || n.remove_when_idle || (s != "idle" && s != "running") ||
            n.doc.value("schedulingState", "enabled") != "enabled")
          continue;
        int free = per_node - n.used_slots;
        if (free < slots) continue;
        // Ties go to the node whose slot just freed: its own thread then starts the task.
        if (!best || (pack ? free < best_free : free > best_free) || (free == best_free && nid == preferred_node))
          best = &n, best_free = free;
      }
      return best;
    };
    std::sort(jobs.begin(), jobs.end(), [](JobRt* a, JobRt* b) {
      int pa = a->doc.value("priority", 0), pb = b->doc.value("priority", 0);
      return pa != pb ? pa > pb : a->seq < b->seq;
    });
    for (JobRt* job : jobs) {
      int max_parallel = job->doc.value("maxParallelTasks", -1);
      std::string job_key = lower(job->doc["id"]);
      while (!job->queue.empty()) {
        const std::string key = job->queue.front();
        auto lit = job->live.find(key);
        if (lit == job->live.end() || lit->second.state != 'a') {
          job->queue.pop_front();
          continue;
        }
        if (max_parallel >= 0 && job->counts.running >= max_parallel) break;
        NodeRt* node = pick(lit->second.slots);
        if (!node) break;
        job->queue.pop_front();
        auto row = store_->get_task(job_key, key);
        if (!row) {
          job->live.erase(lit);
          continue;
        }
        LiveTask& live = lit->second;
        live.state = 'p';
        live.run_id = next_run_id_++;
        live.pool_key = pool_key;
        live.node_id = node->doc["id"];
        std::string node_url = entity_url("/pools/" + pool.doc["id"].get<std::string>() + "/nodes/" + live.node_id);
        std::string dir = node->agent->task_dir(job->doc["id"], row->json["id"]);
        row->json["nodeInfo"] = {{"affinityId", "TVM:" + live.node_id},
                                 {"nodeUrl", node_url},
                                 {"poolId", pool.doc["id"]},
                                 {"nodeId", live.node_id},
                                 {"taskRootDirectory", dir},
                                 {"taskRootDirectoryUrl", node_url + "/files/" + dir}};
        node::TaskSpec spec = task_spec(*job, *row, pool);
        // "preparing" covers the download of resource files; a task without any
        // starts right away, so it is recorded as running now (one row write
        // per task less; on_task_running then has nothing to add).
        if (spec.resource_files.empty()) {
          record_start(*row);
          live.state = 'r';
          count_transition(*job, "active", "", "running", "", row->slots);
        } else {
          set_state(row->json, "preparing");
          touch(row->json);
          count_transition(*job, "active", "", "preparing", "", row->slots);
          row->state = "preparing";
        }
        store_->update_task(job_key, std::move(*row));
        node->used_slots += live.slots;
        node->running_tasks += 1;
        node->running.insert({job_key, key});
        node->doc["totalTasksRun"] = node->doc.value("totalTasksRun", 0) + 1;
        auto agent = node->agent;
        uint64_t run_id = live.run_id;
        actions.push_back([this, agent, spec, job_key, key, run_id] {
          {
            // Terminated, requeued or deleted between placement and launch: do not start it.
            std::lock_guard lk(mu_);
            auto jit = jobs_.find(job_key);
            if (stopping_ || jit == jobs_.end()) return;
            auto lit = jit->second.live.find(key);
            if (lit == jit->second.live.end() || lit->second.run_id != run_id) return;
          }
          node::TaskCallbacks cb;
          cb.on_running = [this, job_key, key, run_id] { on_task_running(job_key, key, run_id); };
          cb.on_complete = [this, job_key, key, run_id](const node::TaskOutcome& o) {
            on_task_complete(job_key, key, run_id, o);
          };
          agent->run(spec, std::move(cb));
        });
      }
    }
  }
}

void Engine::on_task_running(const std::string& job_key, const std::string& key, uint64_t run_id) {
  std::lock_guard lk(mu_);
  if (stopping_) return;
  auto jit = jobs_.find(job_key);
  if (jit == jobs_.end()) return;
  auto lit = jit->second.live.find(key);
  if (lit == jit->second.live.end() || lit->second.run_id != run_id || lit->second.state != 'p') return;
  lit->second.state = 'r';
  auto row = store_->get_task(job_key, key);
  if (!row) return;
  record_start(*row);
  store_->update_task(job_key, std::move(*row));
}

// The task's attempt starts now: state running, startTime (lastRetryTime on a
// retry) and waitTime, creation to the start of the latest attempt.
void Engine::record_start(TaskRow& row) {
  Json& ex = row.json["executionInfo"];
  int64_t now_time = now_us();
  std::string now = iso_time(now_time);
  ex["startTime"] = now;
  if (ex.value("retryCount", 0) > 0) ex["lastRetryTime"] = now;
  if (auto created = timefmt::parse_iso8601(row.json.value("creationTime", "")))
    row.usage.wait_us = std::max<int64_t>(0, now_time - timefmt::to_micros(*created));
  set_state(row.json, "running");
  touch(row.json);
  row.state = "running";
}

void Engine::on_task_complete(const std::string& job_key, const std::string& key, uint64_t run_id,
                              const node::TaskOutcome& o) {
  std::vector<Action> actions;
  {
    std::lock_guard lk(mu_);
    StoreBatch batch(*store_);  // the completion and the next placement: one commit
    complete_task(job_key, key, run_id, o, actions);
  }
  run_actions(actions);
}

// The freed slot is filled right here, on the agent's thread, instead of by a
// pass of the scheduler thread: one thread hop less per task under load.
void Engine::complete_task(const std::string& job_key, const std::string& key, uint64_t run_id,
                           const node::TaskOutcome& o, std::vector<Action>& actions) {
  if (stopping_) return;  // left "running" in the store: requeued on restart
  auto jit = jobs_.find(job_key);
  if (jit == jobs_.end()) return;
  JobRt& job = jit->second;
  auto lit = job.live.find(key);
  if (lit == job.live.end() || lit->second.run_id != run_id || lit->second.state == 'a') return;
  LiveTask& live = lit->second;
  auto row = store_->get_task(job_key, key);
  if (!row) return;
  bool ok = o.exit_code && *o.exit_code == 0 && o.failure_code.empty() && !o.timed_out && !o.terminated;
  const std::string freed_node = live.node_id;
  free_slots(live.pool_key, live.node_id, job_key, key, live.slots, ok, /*wake_scheduler=*/false);
  Json& ex = row->json["executionInfo"];
  int64_t now = now_us();
  if (!ex.contains("startTime")) ex["startTime"] = iso_time(o.start_time_us ? o.start_time_us : now);
  int retries = ex.value("retryCount", 0);
  int max_retries = row->json["constraints"].value("maxTaskRetryCount", 0);
  bool retry = !ok && o.exit_code && !o.timed_out && !o.terminated && (max_retries == -1 || retries < max_retries);
  std::string from = row->state;
  // The attempt's usage goes to the task, and to its job, pool and account.
  int64_t started = 0;
  if (auto t = timefmt::parse_iso8601(ex.value("startTime", ""))) started = timefmt::to_micros(*t);
  Usage delta = Usage::of_attempt(o.usage, started, o.end_time_us ? o.end_time_us : now);
  if (retry) delta.retries = 1;
  row->usage.add(delta);
  if (!retry) {
    delta.wait_us = row->usage.wait_us;  // the task's final wait, counted once
    (ok ? delta.succeeded : delta.failed) = 1;
  }
  account_usage(job, live.pool_key, delta);
  if (retry) {
    for (const char* f : {"endTime", "exitCode", "failureInfo", "result"}) ex.erase(f);
    ex["retryCount"] = retries + 1;
    set_state(row->json, "active");
    touch(row->json);
    count_transition(job, from, "", "active", "", row->slots);
    row->state = "active";
    store_->update_task(job_key, *row);
    live.state = 'a';
    live.run_id = 0;
    job.queue.push_front(key);
    assign(actions, freed_node);
    return;
  }
  ex["endTime"] = iso_time(o.end_time_us ? o.end_time_us : now);
  if (o.exit_code) ex["exitCode"] = *o.exit_code;
  else ex.erase("exitCode");
  if (ok) {
    ex["result"] = "success";
    ex.erase("failureInfo");
  } else {
    ex["result"] = "failure";
    ex["failureInfo"] = failure_info(o, false);
  }
  std::string result = ex["result"];
  set_state(row->json, "completed");
  touch(row->json);
  count_transition(job, from, "", "completed", result, row->slots);
  row->state = "completed";
  row->result = result;
  schedule_retention(*row, o.end_time_us ? o.end_time_us : now);
  store_->update_task(job_key, std::move(*row));
  job.live.erase(lit);
  maybe_complete_job(job);
  assign(actions, freed_node);
}

void Engine::free_slots(const std::string& pool_key, const std::string& node_id, const std::string& job_key,
                        const std::string& task_key, int slots, bool succeeded, bool wake_scheduler) {
  auto pit = pools_.find(pool_key);
  if (pit == pools_.end()) return;
  auto nit = pit->second.nodes.find(node_id);
  if (nit == pit->second.nodes.end()) return;
  NodeRt& node = nit->second;
  if (!node.running.erase({job_key, task_key})) return;
  node.used_slots -= slots;
  node.running_tasks -= 1;
  if (succeeded) node.doc["totalTasksSucceeded"] = node.doc.value("totalTasksSucceeded", 0) + 1;
  // A draining node that just became idle is removed by the scheduler pass.
  if (wake_scheduler || (node.remove_when_idle && node.running_tasks == 0)) wake();
}

// Stops a preparing/running task: the process tree is killed, and the task is
// either requeued (requeueCount + 1) or completed as ended by the user.
void Engine::stop_running_task(JobRt& job, const std::string& key, LiveTask& live, bool requeue,
                               std::vector<Action>& actions) {
  std::string job_key = lower(job.doc["id"]);
  auto row = store_->get_task(job_key, key);
  if (!row) return;
  auto pit = pools_.find(live.pool_key);
  if (pit != pools_.end()) {
    auto nit = pit->second.nodes.find(live.node_id);
    if (nit != pit->second.nodes.end() && nit->second.agent) {
      auto agent = nit->second.agent;
      std::string jid = job.doc["id"], tid = row->json["id"];
      actions.push_back([agent, jid, tid] { agent->terminate(jid, tid); });
    }
  }
  free_slots(live.pool_key, live.node_id, job_key, key, live.slots, false);
  live.run_id = 0;
  if (!requeue) {
    end_task_now(job, key, *row, "TaskEnded", "Task Was Ended by User Request");
    maybe_complete_job(job);
    return;
  }
  Json& ex = row->json["executionInfo"];
  ex["requeueCount"] = ex.value("requeueCount", 0) + 1;
  ex["lastRequeueTime"] = iso_time(now_us());
  for (const char* f : {"startTime", "endTime", "exitCode", "failureInfo", "result"}) ex.erase(f);
  row->json.erase("nodeInfo");
  set_state(row->json, "active");
  touch(row->json);
  count_transition(job, row->state, "", "active", "", row->slots);
  row->state = "active";
  store_->update_task(job_key, *row);
  live.state = 'a';
  live.pool_key.clear();
  live.node_id.clear();
  job.queue.push_front(key);
  wake();
}

void Engine::stop_tasks_on_node(NodeRt& node, bool requeue, std::vector<Action>& actions) {
  auto running = node.running;  // stop_running_task frees slots, editing node.running
  for (const auto& [job_key, task_key] : running) {
    auto jit = jobs_.find(job_key);
    if (jit == jobs_.end()) continue;
    auto lit = jit->second.live.find(task_key);
    if (lit != jit->second.live.end()) stop_running_task(jit->second, task_key, lit->second, requeue, actions);
  }
}

void Engine::schedule_retention(TaskRow& row, int64_t end_us) {
  auto retention = parse_duration_us(row.json["constraints"].value("retentionTime", "P7D"));
  if (!retention || *retention >= int64_t(9e17) || !row.json.contains("nodeInfo")) return;  // unlimited
  row.expires_us = std::max<int64_t>(1, end_us + *retention);
  if (!next_expiry_us_ || row.expires_us < next_expiry_us_) next_expiry_us_ = row.expires_us;
}

// Removes the directories of tasks whose retention time has passed. Deadlines
// live in the store (tasks.expires_us), so they survive restarts; a node still
// being provisioned after a restart is retried on a later pass.
void Engine::expire_retention(std::vector<Action>& actions) {
  int64_t now = now_us();
  if (!next_expiry_us_ || next_expiry_us_ > now) return;
  bool waiting_for_node = false;
  std::map<std::string, std::vector<TaskRow>> done;
  store_->scan_expiring(now, 1000, [&](const std::string& job_key, TaskRow& row) {
    const Json& ni = row.json.value("nodeInfo", Json::object());
    auto pit = pools_.find(lower(ni.value("poolId", "")));
    auto jit = jobs_.find(job_key);
    if (pit != pools_.end() && jit != jobs_.end()) {
      auto nit = pit->second.nodes.find(ni.value("nodeId", ""));
      if (nit != pit->second.nodes.end()) {
        if (!nit->second.agent) {  // provisioning: keep the deadline
          waiting_for_node = true;
          return;
        }
        auto agent = nit->second.agent;
        std::string job_id = jit->second.doc["id"], task_id = row.json.value("id", "");
        actions.push_back([agent, job_id, task_id] { agent->remove_task_dir(job_id, task_id); });
      }
    }
    row.expires_us = 0;  // removed, or gone with its node
    done[job_key].push_back(std::move(row));
  });
  for (auto& [job_key, rows] : done) store_->update_tasks(job_key, rows);
  next_expiry_us_ = store_->next_expiry().value_or(0);
  if (waiting_for_node && next_expiry_us_ && next_expiry_us_ <= now) next_expiry_us_ = now + 200000;
}

}  // namespace kiln::batch
