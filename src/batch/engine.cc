// Engine lifecycle: construction, recovery from the store after a restart, the
// scheduler thread's loop, and small helpers shared by the other engine files.
#include "batch/engine.h"

#include <algorithm>

#include "core/log.h"
#include "core/time_format.h"

namespace kiln::batch {

void check_conditions(const Json& entity, const Conditions& c, bool is_read) {
  std::string etag = entity.value("eTag", "");
  auto lm = timefmt::parse_iso8601(entity.value("lastModified", ""));
  int64_t lm_us = lm ? timefmt::to_micros(*lm) / 1000000 * 1000000 : 0;  // HTTP dates have seconds
  auto matches = [&](const std::string& header) {
    if (header == "*") return true;
    size_t start = 0;
    while (start <= header.size()) {
      size_t comma = header.find(',', start);
      std::string v = header.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      v.erase(0, v.find_first_not_of(" \""));
      v.erase(v.find_last_not_of(" \"") + 1);
      if (v == etag) return true;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return false;
  };
  if (!c.if_match.empty() && !matches(c.if_match)) throw errors::condition_not_met();
  if (c.if_unmodified_since_us && lm_us > *c.if_unmodified_since_us) throw errors::condition_not_met();
  if (!c.if_none_match.empty() && matches(c.if_none_match))
    throw is_read ? errors::not_modified() : errors::condition_not_met();
  if (c.if_modified_since_us && lm_us <= *c.if_modified_since_us)
    throw is_read ? errors::not_modified() : errors::condition_not_met();
}

Engine::Engine(EngineOptions options, std::unique_ptr<Store> store)
    : opt_(std::move(options)), store_(std::move(store)) {}

Engine::~Engine() { stop(); }

void Engine::start() {
  {
    std::lock_guard lk(mu_);
    if (started_) return;
    started_ = true;
    recover();
    dirty_ = true;
  }
  scheduler_ = std::thread([this] { scheduler_loop(); });
}

void Engine::stop() {
  std::vector<std::shared_ptr<node::NodeAgent>> agents;
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [key, pool] : pools_)
      for (auto& [id, node] : pool.nodes)
        if (node.agent) agents.push_back(std::move(node.agent));
  }
  cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  try {
    {
      std::lock_guard lk(mu_);
      flush_usage(true);
    }
    store_->sync();
  } catch (const std::exception& e) {
    LOG_ERROR("batch: final sync failed: " << e.what());
  }
  // Outside the lock: agents' callbacks take it (and are ignored once stopping).
  for (auto& a : agents) a->terminate_all();
  agents.clear();
}

void Engine::wake() {
  dirty_ = true;
  cv_.notify_one();
}

void Engine::run_actions(std::vector<Action>& actions) {
  for (auto& a : actions) {
    try {
      a();
    } catch (const std::exception& e) {
      LOG_ERROR("batch: background action failed: " << e.what());
    }
  }
  actions.clear();
}

void Engine::scheduler_loop() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    if (next_expiry_us_) {
      int64_t wait_us = std::max<int64_t>(0, next_expiry_us_ - now_us());
      deadline = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::microseconds(wait_us));
    }
    cv_.wait_until(lk, deadline, [&] { return stopping_ || dirty_; });
    if (stopping_) break;
    dirty_ = false;
    std::vector<Action> actions;
    try {
      StoreBatch batch(*store_);  // every placement of the pass: one commit
      finish_pool_deletions(actions);
      finish_job_deletions();
      provision(actions);
      assign(actions);
      expire_retention(actions);
      expire_jobs(actions);
      flush_usage(false);
    } catch (const std::exception& e) {
      LOG_ERROR("batch: scheduler pass failed: " << e.what());
    }
    lk.unlock();
    run_actions(actions);
    lk.lock();
  }
}

void Engine::touch(Json& doc) {
  doc["eTag"] = new_etag();
  doc["lastModified"] = iso_time(now_us());
}

void Engine::set_state(Json& doc, const std::string& state) {
  if (doc.value("state", "") == state) return;
  if (doc.contains("state")) {
    doc["previousState"] = doc["state"];
    doc["previousStateTransitionTime"] = doc.value("stateTransitionTime", iso_time(now_us()));
  }
  doc["state"] = state;
  doc["stateTransitionTime"] = iso_time(now_us());
}

std::string Engine::entity_url(const std::string& path) const { return opt_.account_url + path; }

Engine::PoolRt& Engine::pool_or_throw(const std::string& id) {
  auto it = pools_.find(lower(id));
  if (it == pools_.end()) throw errors::pool_not_found();
  return it->second;
}

Engine::JobRt& Engine::job_or_throw(const std::string& id) {
  auto it = jobs_.find(lower(id));
  if (it == jobs_.end()) throw errors::job_not_found();
  return it->second;
}

std::string Engine::require_job_not_ended(const JobRt& job) {
  std::string state = job.doc.value("state", "");
  if (state == "deleting") throw errors::job_being_deleted();
  if (state == "completed") throw errors::job_completed();
  return state;
}

// Rebuilds the in-memory model from the store. A task that was preparing or
// running when the server died is requeued: its process is gone with the old
// server, so it runs again (requeueCount + 1) and completes exactly once.
void Engine::recover() {
  for (Json& doc : store_->load_pools()) {
    std::string key = lower(doc.value("id", ""));
    PoolRt& pool = pools_[key];
    pool.doc = std::move(doc);
    pool.deleting = pool.doc.value("state", "") == "deleting";
  }
  for (auto& [pool_key, doc] : store_->load_nodes()) {
    auto it = pools_.find(pool_key);
    if (it == pools_.end()) continue;
    std::string id = doc.value("id", "");
    NodeRt& node = it->second.nodes[id];
    node.doc = std::move(doc);
    node.pool_key = pool_key;
  }
  std::vector<Json> jobs = store_->load_jobs();
  std::sort(jobs.begin(), jobs.end(), [](const Json& a, const Json& b) {
    return a.value("creationTime", "") < b.value("creationTime", "");
  });
  for (Json& doc : jobs) {
    std::string key = lower(doc.value("id", ""));
    JobRt& job = jobs_[key];
    job.doc = std::move(doc);
    job.seq = ++job_seq_;
    std::string state = job.doc.value("state", "active");
    if (state == "deleting") deleting_jobs_.insert(key);
    if (state == "terminating") {
      set_state(job.doc, "completed");
      job.doc["executionInfo"]["endTime"] = iso_time(now_us());
      store_->put_job(key, job.doc);
    }
    if (state == "disabling") set_state(job.doc, "disabled");
    if (state == "enabling") set_state(job.doc, "active");
  }
  std::map<std::string, std::vector<TaskRow>> requeued;
  store_->scan_unfinished([&](const std::string& job_key, TaskRow& row) {
    auto it = jobs_.find(job_key);
    if (it == jobs_.end()) return;
    JobRt& job = it->second;
    if (row.state != "active") {
      Json& ex = row.json["executionInfo"];
      ex["requeueCount"] = ex.value("requeueCount", 0) + 1;
      ex["lastRequeueTime"] = iso_time(now_us());
      row.json.erase("nodeInfo");
      set_state(row.json, "active");
      row.state = "active";
      touch(row.json);
      requeued[job_key].push_back(row);
    }
    LiveTask live;
    live.slots = row.slots;
    job.live.emplace(row.key, live);
    job.queue.push_back(row.key);
  });
  for (auto& [job_key, rows] : requeued) store_->update_tasks(job_key, rows);
  for (auto& [key, job] : jobs_) {
    for (const TaskCountRow& r : store_->count_tasks(key)) {
      Counts* both[] = {&job.counts, &job.slot_counts};
      int64_t amounts[] = {r.count, r.slots};
      for (int i = 0; i < 2; ++i) {
        if (r.state == "active") both[i]->active += amounts[i];
        else if (r.state == "completed") {
          both[i]->completed += amounts[i];
          (r.result == "success" ? both[i]->succeeded : both[i]->failed) += amounts[i];
        } else both[i]->running += amounts[i];
      }
    }
  }
  load_usage();
  next_expiry_us_ = store_->next_expiry().value_or(0);
  // Nodes lost their agents with the old process; provisioning recreates them.
  for (auto& [key, pool] : pools_)
    for (auto& [id, node] : pool.nodes) node.provisioning = false;
  LOG_INFO("batch[" << opt_.account_name << "]: recovered " << pools_.size() << " pools, "
                    << jobs_.size() << " jobs");
}

Json Engine::pool_node_counts() {
  std::lock_guard lk(mu_);
  Json out = Json::array();
  static const char* kStates[] = {"creating", "idle", "offline", "preempted", "rebooting", "reimaging",
                                  "running", "starting", "startTaskFailed", "leavingPool", "unknown",
                                  "unusable", "waitingForStartTask"};
  for (auto& [key, pool] : pools_) {
    Json dedicated = Json::object(), low = Json::object();
    for (const char* s : kStates) dedicated[s] = 0, low[s] = 0;
    int total_d = 0, total_l = 0;
    for (auto& [id, node] : pool.nodes) {
      Json view = node_view(pool, node);
      std::string state = view.value("state", "unknown");
      std::string name = state == "starttaskfailed" ? "startTaskFailed"
                         : state == "leavingpool"    ? "leavingPool"
                         : state == "waitingforstarttask" ? "waitingForStartTask"
                                                          : state;
      bool ded = view.value("isDedicated", true);
      Json& target = ded ? dedicated : low;
      if (!target.contains(name)) name = "unknown";
      target[name] = target[name].get<int>() + 1;
      ++(ded ? total_d : total_l);
    }
    dedicated["total"] = total_d;
    low["total"] = total_l;
    out.push_back({{"poolId", pool.doc["id"]}, {"dedicated", dedicated}, {"lowPriority", low}});
  }
  return out;
}

}  // namespace kiln::batch
