// Pools and compute nodes: allocation (grow/shrink against the account's core
// quota), node provisioning through the NodeFactory, the node state machine
// (creating → starting → waitingforstarttask → idle/running/offline, with
// starttaskfailed, rebooting, leavingpool, unusable) and the start task.
#include <algorithm>

#include "batch/engine.h"
#include "core/crypto.h"
#include "core/file_util.h"
#include "core/log.h"

namespace kiln::batch {
namespace {

bool is_ready_state(const std::string& s) { return s == "idle" || s == "running"; }

int node_cores(const Json& pool_doc) {
  const VmSize* vm = find_vm_size(pool_doc.value("vmSize", ""));
  return vm ? vm->cores : 1;
}

}  // namespace

void Engine::persist_pool(const PoolRt& pool) { store_->put_pool(lower(pool.doc["id"]), pool.doc); }

void Engine::persist_node(const NodeRt& node) { store_->put_node(node.pool_key, node.doc["id"], node.doc); }

Json Engine::pool_view(const PoolRt& pool) const {
  Json v = pool.doc;
  std::string id = v["id"];
  v["url"] = entity_url("/pools/" + id);
  int ded = 0, low = 0;
  for (const auto& [nid, node] : pool.nodes) ++(node.doc.value("isDedicated", true) ? ded : low);
  v["currentDedicatedNodes"] = ded;
  v["currentLowPriorityNodes"] = low;
  return v;
}

Json Engine::node_view(const PoolRt& pool, const NodeRt& node) const {
  Json v = node.doc;
  std::string state = v.value("state", "unknown");
  if (is_ready_state(state)) {
    if (node.running_tasks > 0) state = "running";
    else if (v.value("schedulingState", "enabled") == "disabled") state = "offline";
    else state = "idle";
    v["state"] = state;
  }
  v["url"] = entity_url("/pools/" + pool.doc["id"].get<std::string>() + "/nodes/" + v["id"].get<std::string>());
  v["runningTasksCount"] = node.running_tasks;
  v["runningTaskSlotsCount"] = node.used_slots;
  return v;
}

void Engine::add_pool(const Json& spec) {
  std::lock_guard lk(mu_);
  std::string key = lower(spec["id"]);
  if (auto it = pools_.find(key); it != pools_.end())
    throw it->second.deleting ? errors::pool_being_deleted() : errors::pool_exists();
  PoolRt& pool = pools_[key];
  Json& d = pool.doc;
  d = spec;
  int64_t now = now_us();
  d["vmSize"] = lower(spec["vmSize"]);
  d["creationTime"] = iso_time(now);
  d["state"] = "active";
  d["stateTransitionTime"] = iso_time(now);
  d["allocationState"] = "resizing";
  d["allocationStateTransitionTime"] = iso_time(now);
  if (!d.contains("resizeTimeout")) d["resizeTimeout"] = "PT15M";
  if (!d.contains("targetDedicatedNodes")) d["targetDedicatedNodes"] = 0;
  if (!d.contains("targetLowPriorityNodes")) d["targetLowPriorityNodes"] = 0;
  d["enableAutoScale"] = false;
  if (!d.contains("enableInterNodeCommunication")) d["enableInterNodeCommunication"] = false;
  if (!d.contains("taskSlotsPerNode")) d["taskSlotsPerNode"] = 1;
  if (!d.contains("taskSchedulingPolicy")) d["taskSchedulingPolicy"] = {{"nodeFillType", "spread"}};
  if (d.contains("startTask")) {
    Json& st = d["startTask"];
    if (!st.contains("maxTaskRetryCount")) st["maxTaskRetryCount"] = 0;
    if (!st.contains("waitForSuccess")) st["waitForSuccess"] = true;
    if (!st.contains("userIdentity"))
      st["userIdentity"] = {{"autoUser", {{"scope", "pool"}, {"elevationLevel", "nonadmin"}}}};
  }
  d["currentNodeCommunicationMode"] = "default";
  touch(d);
  std::vector<Action> unused;
  try {
    persist_pool(pool);
    resize_to(pool, d["targetDedicatedNodes"], d["targetLowPriorityNodes"], "requeue", unused);
  } catch (...) {
    pools_.erase(key);
    throw;
  }
  persist_pool(pool);
  wake();
}

Json Engine::get_pool(const std::string& id) {
  std::lock_guard lk(mu_);
  return pool_view(pool_or_throw(id));
}

std::vector<Json> Engine::list_pools() {
  std::lock_guard lk(mu_);
  std::vector<Json> out;
  for (auto& [k, p] : pools_) out.push_back(pool_view(p));
  return out;
}

void Engine::delete_pool(const std::string& id, const Conditions& c) {
  std::vector<Action> actions;
  {
    std::lock_guard lk(mu_);
    PoolRt& pool = pool_or_throw(id);
    check_conditions(pool.doc, c, false);
    if (pool.deleting) return;  // Azure accepts a repeated delete
    pool.deleting = true;
    set_state(pool.doc, "deleting");
    touch(pool.doc);
    persist_pool(pool);
    std::vector<std::string> ids;
    for (auto& [nid, n] : pool.nodes) ids.push_back(nid);
    for (auto& nid : ids) release_node(pool, pool.nodes.at(nid), "requeue", actions);
    wake();
  }
  run_actions(actions);
}

Json Engine::update_pool(const std::string& id, const Json& changes, bool replace, const Conditions& c) {
  std::lock_guard lk(mu_);
  PoolRt& pool = pool_or_throw(id);
  check_conditions(pool.doc, c, false);
  if (pool.deleting) throw errors::pool_being_deleted();
  Json& d = pool.doc;
  for (const char* name : {"startTask", "metadata", "certificateReferences", "applicationPackageReferences",
                           "targetNodeCommunicationMode"}) {
    if (changes.contains(name) && !changes[name].is_null()) d[name] = changes[name];
    else if (replace && std::string(name) == "startTask") d.erase(name);
    else if (replace && std::string(name) != "targetNodeCommunicationMode") d[name] = Json::array();
  }
  if (d.contains("startTask")) {
    Json& st = d["startTask"];
    if (!st.contains("maxTaskRetryCount")) st["maxTaskRetryCount"] = 0;
    if (!st.contains("waitForSuccess")) st["waitForSuccess"] = true;
    if (!st.contains("userIdentity"))
      st["userIdentity"] = {{"autoUser", {{"scope", "pool"}, {"elevationLevel", "nonadmin"}}}};
  }
  touch(d);
  persist_pool(pool);
  return pool_view(pool);
}

// Grows or shrinks the pool's node set toward the targets. Growth stops at the
// account's core quota with a resize error, as Azure reports it.
void Engine::resize_to(PoolRt& pool, int dedicated, int low_priority, const std::string& deallocation,
                       std::vector<Action>& actions) {
  std::string pool_key = lower(pool.doc["id"]);
  int cores = node_cores(pool.doc);
  int used[2] = {0, 0};  // dedicated, low-priority cores in use by the account
  for (auto& [k, p] : pools_)
    for (auto& [nid, n] : p.nodes) used[n.doc.value("isDedicated", true) ? 0 : 1] += node_cores(p.doc);
  int current[2] = {0, 0};
  for (auto& [nid, n] : pool.nodes)
    if (!n.remove_when_idle) ++current[n.doc.value("isDedicated", true) ? 0 : 1];
  int target[2] = {dedicated, low_priority};
  int quota[2] = {opt_.dedicated_core_quota, opt_.low_priority_core_quota};
  Json resize_errors = Json::array();
  for (int kind = 0; kind < 2; ++kind) {
    for (int i = current[kind]; i < target[kind]; ++i) {
      if (used[kind] + cores > quota[kind]) {
        resize_errors.push_back(
            {{"code", kind == 0 ? "AccountCoreQuotaReached" : "AccountLowPriorityCoreQuotaReached"},
             {"message", std::string("The specified account has reached its ") +
                             (kind == 0 ? "dedicated" : "low-priority") + " core quota of " +
                             std::to_string(quota[kind]) + " cores; the pool could not reach its target."}});
        break;
      }
      used[kind] += cores;
      std::string nid = "tvmps_" + crypto::hex(crypto::random_bytes(32)) + (kind == 0 ? "_d" : "_p");
      NodeRt& node = pool.nodes[nid];
      node.pool_key = pool_key;
      int64_t now = now_us();
      node.doc = {{"id", nid},
                  {"state", "creating"},
                  {"schedulingState", "enabled"},
                  {"stateTransitionTime", iso_time(now)},
                  {"allocationTime", iso_time(now)},
                  {"lastBootTime", iso_time(now)},
                  {"ipAddress", "127.0.0.1"},
                  {"affinityId", "TVM:" + nid},
                  {"vmSize", pool.doc["vmSize"]},
                  {"totalTasksRun", 0},
                  {"totalTasksSucceeded", 0},
                  {"isDedicated", kind == 0},
                  {"nodeAgentInfo", {{"version", "kiln-1.0"}, {"lastUpdateTime", iso_time(now)}}}};
      if (pool.doc.contains("virtualMachineConfiguration"))
        node.doc["virtualMachineInfo"] = {
            {"imageReference", pool.doc["virtualMachineConfiguration"].value("imageReference", Json::object())}};
      persist_node(node);
    }
    if (current[kind] > target[kind]) shrink(pool, kind == 0, current[kind] - target[kind], deallocation, actions);
  }
  if (resize_errors.empty()) pool.doc.erase("resizeErrors");
  else pool.doc["resizeErrors"] = resize_errors;
  update_allocation_state(pool, true);
}

void Engine::shrink(PoolRt& pool, bool dedicated, int count, const std::string& deallocation,
                    std::vector<Action>& actions) {
  // Remove the least useful nodes first: not yet up, broken, idle, then busy.
  auto rank = [](const NodeRt& n) {
    std::string s = n.doc.value("state", "");
    if (!n.agent) return 0;
    if (s == "starttaskfailed" || s == "unusable") return 1;
    if (n.running_tasks == 0) return 2;
    return 3;
  };
  std::vector<std::pair<int, std::string>> order;
  for (auto& [nid, n] : pool.nodes)
    if (!n.remove_when_idle && n.doc.value("isDedicated", true) == dedicated) order.push_back({rank(n), nid});
  std::sort(order.begin(), order.end());
  for (int i = 0; i < count && i < int(order.size()); ++i)
    release_node(pool, pool.nodes.at(order[i].second), deallocation, actions);
}

// Takes a node out of the pool. With taskcompletion/retaineddata it first
// drains (state leavingpool); otherwise running tasks are requeued or terminated
// and the node goes at once.
void Engine::release_node(PoolRt& pool, NodeRt& node, const std::string& deallocation,
                          std::vector<Action>& actions) {
  if ((deallocation == "taskcompletion" || deallocation == "retaineddata") && node.running_tasks > 0) {
    node.remove_when_idle = true;
    set_state(node.doc, "leavingpool");
    persist_node(node);
    return;
  }
  auto running = node.running;
  for (const auto& [job_key, task_key] : running) {
    auto jit = jobs_.find(job_key);
    if (jit == jobs_.end()) continue;
    auto lit = jit->second.live.find(task_key);
    if (lit == jit->second.live.end()) continue;
    stop_running_task(jit->second, task_key, lit->second, deallocation != "terminate", actions);
  }
  remove_node_now(pool, node, actions);
}

void Engine::remove_node_now(PoolRt& pool, NodeRt& node, std::vector<Action>& actions) {
  std::string nid = node.doc["id"];
  std::string dir = opt_.nodes_dir + "/" + node.pool_key + "/" + nid;
  auto agent = std::move(node.agent);
  store_->delete_node(node.pool_key, nid);
  pool.nodes.erase(nid);
  actions.push_back([agent, dir] {
    if (agent) agent->terminate_all();
    fs::remove_all(dir);
  });
}

void Engine::update_allocation_state(PoolRt& pool, bool force_persist) {
  bool steady = !pool.deleting;
  for (auto& [nid, n] : pool.nodes)
    if ((!n.agent && n.doc.value("state", "") != "unusable") || n.remove_when_idle) steady = false;
  std::string want = steady ? "steady" : "resizing";
  bool changed = pool.doc.value("allocationState", "") != want;
  if (changed) {
    pool.doc["allocationState"] = want;
    pool.doc["allocationStateTransitionTime"] = iso_time(now_us());
  }
  if (changed || force_persist) persist_pool(pool);
}

void Engine::resize_pool(const std::string& id, std::optional<int> dedicated, std::optional<int> low_priority,
                         const std::string& deallocation, const Conditions& c) {
  std::vector<Action> actions;
  {
    std::lock_guard lk(mu_);
    PoolRt& pool = pool_or_throw(id);
    check_conditions(pool.doc, c, false);
    if (pool.deleting) throw errors::pool_being_deleted();
    if (pool.doc.value("allocationState", "") != "steady") throw errors::pool_resizing();
    int ded = dedicated.value_or(pool.doc.value("targetDedicatedNodes", 0));
    int low = low_priority.value_or(pool.doc.value("targetLowPriorityNodes", 0));
    pool.doc["targetDedicatedNodes"] = ded;
    pool.doc["targetLowPriorityNodes"] = low;
    touch(pool.doc);
    resize_to(pool, ded, low, deallocation.empty() ? "requeue" : deallocation, actions);
    wake();
  }
  run_actions(actions);
}

void Engine::stop_resize_pool(const std::string& id, const Conditions& c) {
  std::lock_guard lk(mu_);
  PoolRt& pool = pool_or_throw(id);
  check_conditions(pool.doc, c, false);
  if (pool.deleting) throw errors::pool_being_deleted();
  // Allocation here is immediate, so the nodes already created become the target.
  int ded = 0, low = 0;
  for (auto& [nid, n] : pool.nodes)
    if (!n.remove_when_idle) ++(n.doc.value("isDedicated", true) ? ded : low);
  pool.doc["targetDedicatedNodes"] = ded;
  pool.doc["targetLowPriorityNodes"] = low;
  touch(pool.doc);
  update_allocation_state(pool, true);
}

void Engine::remove_nodes(const std::string& id, const std::vector<std::string>& node_ids,
                          const std::string& deallocation, const Conditions& c) {
  std::vector<Action> actions;
  {
    std::lock_guard lk(mu_);
    PoolRt& pool = pool_or_throw(id);
    check_conditions(pool.doc, c, false);
    if (pool.deleting) throw errors::pool_being_deleted();
    if (pool.doc.value("allocationState", "") != "steady") throw errors::pool_resizing();
    for (const auto& nid : node_ids)
      if (!pool.nodes.count(nid)) throw errors::node_not_found();
    for (const auto& nid : node_ids) {
      NodeRt& n = pool.nodes.at(nid);
      const char* target = n.doc.value("isDedicated", true) ? "targetDedicatedNodes" : "targetLowPriorityNodes";
      pool.doc[target] = std::max(0, pool.doc.value(target, 0) - 1);
      release_node(pool, n, deallocation.empty() ? "requeue" : deallocation, actions);
    }
    touch(pool.doc);
    update_allocation_state(pool, true);
    wake();
  }
  run_actions(actions);
}

// Scheduler pass: create agents for nodes that lack one, drop drained nodes.
void Engine::provision(std::vector<Action>& actions) {
  for (auto& [pool_key, pool] : pools_) {
    if (pool.deleting) continue;
    std::vector<std::string> drained;
    for (auto& [nid, node] : pool.nodes) {
      if (node.remove_when_idle && node.running_tasks == 0) {
        drained.push_back(nid);
        continue;
      }
      if (node.agent || node.provisioning || node.doc.value("state", "") == "unusable") continue;
      node.provisioning = true;
      std::string prior = node.doc.value("state", "creating");
      bool was_ready = (is_ready_state(prior) || prior == "starttaskfailed") &&
                       node.doc.value("/startTaskInfo/state"_json_pointer, std::string("completed")) != "running";
      if (!was_ready) set_state(node.doc, "starting");
      node::NodeConfig cfg;
      cfg.account_name = opt_.account_name;
      cfg.account_url = opt_.account_url;
      cfg.pool_id = pool.doc["id"];
      cfg.node_id = nid;
      cfg.dedicated = node.doc.value("isDedicated", true);
      const VmSize* vm = find_vm_size(pool.doc.value("vmSize", ""));
      cfg.cores = vm ? vm->cores : 1;
      cfg.memory_bytes = (vm ? vm->memory_mb : 2048) * 1024 * 1024;
      cfg.root_dir = opt_.nodes_dir + "/" + pool_key + "/" + nid;
      cfg.ca_file = opt_.ca_file;
      uint64_t epoch = node.epoch;
      std::string pk = pool_key;
      actions.push_back([this, pk, nid, epoch, cfg, was_ready] {
        std::shared_ptr<node::NodeAgent> agent;
        std::string error;
        try {
          agent = opt_.node_factory(cfg);
        } catch (const std::exception& e) {
          error = e.what();
        }
        std::vector<Action> more;
        {
          std::lock_guard lk(mu_);
          auto pit = pools_.find(pk);
          NodeRt* node = nullptr;
          if (pit != pools_.end()) {
            auto nit = pit->second.nodes.find(nid);
            if (nit != pit->second.nodes.end() && nit->second.epoch == epoch) node = &nit->second;
          }
          if (!stopping_ && node) {
            node->provisioning = false;
            if (!agent) {
              LOG_ERROR("batch: cannot create node " << nid << ": " << error);
              set_state(node->doc, "unusable");
              node->doc["errors"] = Json::array(
                  {{{"code", "NodeCreationFailed"}, {"message", "The compute node could not be created: " + error}}});
              persist_node(*node);
            } else {
              node->agent = std::move(agent);
              if (was_ready) {
                if (node->doc.value("state", "") != "starttaskfailed") set_state(node->doc, "idle");
                persist_node(*node);
              } else {
                start_node(pit->second, *node, more);
              }
            }
            update_allocation_state(pit->second, false);
            wake();
          }
        }
        if (agent) agent->terminate_all();  // the node went away meanwhile
        run_actions(more);
      });
    }
    for (auto& nid : drained) remove_node_now(pool, pool.nodes.at(nid), actions);
    if (!drained.empty()) update_allocation_state(pool, false);
  }
}

node::TaskSpec Engine::start_task_spec(const PoolRt& pool, int attempt) const {
  const Json& st = pool.doc["startTask"];
  node::TaskSpec spec;
  spec.kind = node::TaskSpec::Kind::kStartTask;
  spec.attempt = attempt;
  spec.command_line = st.value("commandLine", "");
  for (const Json& e : st.value("environmentSettings", Json::array()))
    spec.environment[e.value("name", "")] = e.value("value", "");
  for (const Json& f : st.value("resourceFiles", Json::array()))
    spec.resource_files.push_back({f.value("httpUrl", ""), f.value("storageContainerUrl", ""),
                                   f.value("blobPrefix", ""), f.value("filePath", ""), f.value("fileMode", "")});
  spec.user = user_identity(st, pool.doc);
  return spec;
}

void Engine::start_node(PoolRt& pool, NodeRt& node, std::vector<Action>& actions) {
  if (!pool.doc.contains("startTask")) {
    set_state(node.doc, "idle");
    node.doc.erase("startTaskInfo");
    node.doc.erase("startTask");
    persist_node(node);
    return;
  }
  const Json& st = pool.doc["startTask"];
  node.doc["startTask"] = st;
  set_state(node.doc, st.value("waitForSuccess", true) ? "waitingforstarttask" : "idle");
  node.doc["startTaskInfo"] = {{"state", "running"}, {"startTime", iso_time(now_us())}, {"retryCount", 0}};
  persist_node(node);
  launch_start_task(pool, node, 0, actions);
}

void Engine::launch_start_task(PoolRt& pool, NodeRt& node, int attempt, std::vector<Action>& actions) {
  node::TaskSpec spec = start_task_spec(pool, attempt);
  auto agent = node.agent;
  std::string pk = node.pool_key, nid = node.doc["id"];
  uint64_t epoch = node.epoch;
  actions.push_back([this, agent, spec, pk, nid, epoch] {
    node::TaskCallbacks cb;
    cb.on_running = [] {};
    cb.on_complete = [this, pk, nid, epoch](const node::TaskOutcome& o) { on_start_task_done(pk, nid, epoch, o); };
    agent->run(spec, std::move(cb));
  });
}

void Engine::on_start_task_done(const std::string& pool_key, const std::string& node_id, uint64_t epoch,
                                const node::TaskOutcome& outcome) {
  std::vector<Action> actions;
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    auto pit = pools_.find(pool_key);
    if (pit == pools_.end()) return;
    auto nit = pit->second.nodes.find(node_id);
    if (nit == pit->second.nodes.end() || nit->second.epoch != epoch) return;
    PoolRt& pool = pit->second;
    NodeRt& node = nit->second;
    Json& info = node.doc["startTaskInfo"];
    int64_t now = now_us();
    info["endTime"] = iso_time(now);
    if (outcome.start_time_us) info["startTime"] = iso_time(outcome.start_time_us);
    if (outcome.exit_code) info["exitCode"] = *outcome.exit_code;
    else info.erase("exitCode");
    bool ok = outcome.exit_code && *outcome.exit_code == 0 && outcome.failure_code.empty();
    const Json& st = pool.doc.value("startTask", Json::object());
    bool wait = st.value("waitForSuccess", true);
    if (ok) {
      info["state"] = "completed";
      info["result"] = "success";
      info.erase("failureInfo");
      if (node.doc.value("state", "") == "waitingforstarttask") set_state(node.doc, "idle");
    } else {
      info["failureInfo"] = failure_info(outcome, false);
      int max_retries = st.value("maxTaskRetryCount", 0);
      int retries = info.value("retryCount", 0);
      if (outcome.exit_code && (max_retries == -1 || retries < max_retries)) {
        info["retryCount"] = retries + 1;
        info["lastRetryTime"] = iso_time(now);
        info["state"] = "running";
        launch_start_task(pool, node, retries + 1, actions);
      } else {
        info["state"] = "completed";
        info["result"] = "failure";
        if (wait) set_state(node.doc, "starttaskfailed");
        else if (node.doc.value("state", "") == "waitingforstarttask") set_state(node.doc, "idle");
      }
    }
    persist_node(node);
    wake();
  }
  run_actions(actions);
}

void Engine::finish_pool_deletions(std::vector<Action>& actions) {
  for (auto it = pools_.begin(); it != pools_.end();) {
    if (it->second.deleting && it->second.nodes.empty()) {
      store_->delete_pool(it->first);
      std::string dir = opt_.nodes_dir + "/" + it->first;
      actions.push_back([dir] { fs::remove_all(dir); });
      it = pools_.erase(it);
    } else {
      ++it;
    }
  }
}

Json Engine::get_node(const std::string& pool_id, const std::string& node_id) {
  std::lock_guard lk(mu_);
  PoolRt& pool = pool_or_throw(pool_id);
  auto it = pool.nodes.find(node_id);
  if (it == pool.nodes.end()) throw errors::node_not_found();
  return node_view(pool, it->second);
}

std::vector<Json> Engine::list_nodes(const std::string& pool_id) {
  std::lock_guard lk(mu_);
  PoolRt& pool = pool_or_throw(pool_id);
  std::vector<Json> out;
  for (auto& [nid, n] : pool.nodes) out.push_back(node_view(pool, n));
  return out;
}

std::shared_ptr<node::NodeAgent> Engine::node_agent(const std::string& pool_id, const std::string& node_id,
                                                    std::string* node_url) {
  std::lock_guard lk(mu_);
  PoolRt& pool = pool_or_throw(pool_id);
  auto it = pool.nodes.find(node_id);
  if (it == pool.nodes.end()) throw errors::node_not_found();
  if (!it->second.agent) throw errors::node_not_in_state("The specified node is not ready yet.");
  if (node_url) *node_url = entity_url("/pools/" + pool.doc["id"].get<std::string>() + "/nodes/" + node_id);
  return it->second.agent;
}

void Engine::reboot_node(const std::string& pool_id, const std::string& node_id, const std::string& option) {
  std::vector<Action> actions;
  {
    std::lock_guard lk(mu_);
    PoolRt& pool = pool_or_throw(pool_id);
    auto it = pool.nodes.find(node_id);
    if (it == pool.nodes.end()) throw errors::node_not_found();
    NodeRt& node = it->second;
    std::string state = node.doc.value("state", "");
    if (!node.agent || !(is_ready_state(state) || state == "starttaskfailed" || state == "unusable"))
      throw errors::node_not_in_state("The node is not in a state that allows a reboot.");
    auto running = node.running;
    for (const auto& [job_key, task_key] : running) {
      auto jit = jobs_.find(job_key);
      if (jit == jobs_.end()) continue;
      auto lit = jit->second.live.find(task_key);
      if (lit != jit->second.live.end())
        stop_running_task(jit->second, task_key, lit->second, option != "terminate", actions);
    }
    ++node.epoch;
    set_state(node.doc, "rebooting");
    persist_node(node);
    auto agent = node.agent;
    std::string pk = node.pool_key;
    uint64_t epoch = node.epoch;
    actions.push_back([this, agent, pk, node_id, epoch] {
      agent->terminate_all();
      std::vector<Action> more;
      {
        std::lock_guard lk(mu_);
        auto pit = pools_.find(pk);
        if (stopping_ || pit == pools_.end()) return;
        auto nit = pit->second.nodes.find(node_id);
        if (nit == pit->second.nodes.end() || nit->second.epoch != epoch) return;
        nit->second.doc["lastBootTime"] = iso_time(now_us());
        start_node(pit->second, nit->second, more);
        wake();
      }
      run_actions(more);
    });
  }
  run_actions(actions);
}

void Engine::set_node_scheduling(const std::string& pool_id, const std::string& node_id, bool enabled,
                                 const std::string& option) {
  std::vector<Action> actions;
  {
    std::lock_guard lk(mu_);
    PoolRt& pool = pool_or_throw(pool_id);
    auto it = pool.nodes.find(node_id);
    if (it == pool.nodes.end()) throw errors::node_not_found();
    NodeRt& node = it->second;
    node.doc["schedulingState"] = enabled ? "enabled" : "disabled";
    if (!enabled && option != "taskcompletion") {
      auto running = node.running;
      for (const auto& [job_key, task_key] : running) {
        auto jit = jobs_.find(job_key);
        if (jit == jobs_.end()) continue;
        auto lit = jit->second.live.find(task_key);
        if (lit != jit->second.live.end())
          stop_running_task(jit->second, task_key, lit->second, option != "terminate", actions);
      }
    }
    persist_node(node);
    wake();
  }
  run_actions(actions);
}

}  // namespace kiln::batch
