// Compute nodes: provisioning through the NodeFactory, the node state machine
// (creating → starting → waitingforstarttask → idle/running/offline, with
// starttaskfailed, rebooting, unusable), the start task, and node operations
// (get, list, reboot, disable/enable scheduling).
#include "batch/engine.h"
#include "core/log.h"

namespace kiln::batch {
namespace {

bool is_ready_state(const std::string& s) { return s == "idle" || s == "running"; }

}  // namespace

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
    stop_tasks_on_node(node, option != "terminate", actions);
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
      stop_tasks_on_node(node, option != "terminate", actions);
    }
    persist_node(node);
    wake();
  }
  run_actions(actions);
}

}  // namespace kiln::batch
