// Pools: add/get/list/update/delete, and allocation — growing toward the
// targets against the account's core quota, shrinking with the deallocation
// options (requeue, terminate, taskcompletion/retaineddata drain in leavingpool).
#include <algorithm>

#include "batch/engine.h"
#include "core/crypto.h"
#include "core/file_util.h"
#include "core/log.h"

namespace kiln::batch {
namespace {

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

Json Engine::get_pool(const std::string& id, bool with_stats) {
  std::lock_guard lk(mu_);
  PoolRt& pool = pool_or_throw(id);
  Json v = pool_view(pool);
  if (with_stats) v["stats"] = pool_stats(pool);
  return v;
}

std::vector<Json> Engine::list_pools(bool with_stats) {
  std::lock_guard lk(mu_);
  std::vector<Json> out;
  for (auto& [k, p] : pools_) {
    out.push_back(pool_view(p));
    if (with_stats) out.back()["stats"] = pool_stats(p);
  }
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
  PoolRt& pool = pool_for_change(id, c, /*must_be_steady=*/false);
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
  stop_tasks_on_node(node, deallocation != "terminate", actions);
  remove_node_now(pool, node, actions);
}

void Engine::remove_node_now(PoolRt& pool, NodeRt& node, std::vector<Action>& actions) {
  std::string nid = node.doc["id"];
  std::string dir = opt_.nodes_dir + "/" + node.pool_key + "/" + nid;
  auto agent = std::move(node.agent);
  retire_node_usage(pool, node);
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

// A pool a request may change: it exists, the request's conditions hold, it is
// not being deleted and, for resizes and node removals, its allocation is steady.
Engine::PoolRt& Engine::pool_for_change(const std::string& id, const Conditions& c, bool must_be_steady) {
  PoolRt& pool = pool_or_throw(id);
  check_conditions(pool.doc, c, false);
  if (pool.deleting) throw errors::pool_being_deleted();
  if (must_be_steady && pool.doc.value("allocationState", "") != "steady") throw errors::pool_resizing();
  return pool;
}

void Engine::resize_pool(const std::string& id, std::optional<int> dedicated, std::optional<int> low_priority,
                         const std::string& deallocation, const Conditions& c) {
  std::vector<Action> actions;
  {
    std::lock_guard lk(mu_);
    PoolRt& pool = pool_for_change(id, c, /*must_be_steady=*/true);
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
  PoolRt& pool = pool_for_change(id, c, /*must_be_steady=*/false);
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
    PoolRt& pool = pool_for_change(id, c, /*must_be_steady=*/true);
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

void Engine::finish_pool_deletions(std::vector<Action>& actions) {
  for (auto it = pools_.begin(); it != pools_.end();) {
    if (it->second.deleting && it->second.nodes.empty()) {
      store_->delete_pool(it->first);
      store_->delete_usage("pool:" + it->first);
      usage_dirty_.erase("pool:" + it->first);
      std::string dir = opt_.nodes_dir + "/" + it->first;
      actions.push_back([dir] { fs::remove_all(dir); });
      it = pools_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace kiln::batch
