#include "kiln/batch_models.h"

namespace kiln::client {
namespace {

using json = nlohmann::json;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int num(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int>() : 0;
}

void set_if(json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

json env_json(const std::vector<EnvironmentSetting>& settings) {
  json a = json::array();
  for (const auto& s : settings) a.push_back({{"name", s.name}, {"value", s.value}});
  return a;
}

json user_json(const AutoUser& u) {
  return {{"autoUser", {{"scope", u.scope}, {"elevationLevel", u.elevation_level}}}};
}

void merge_extra(json& body, const json& extra) {
  if (extra.is_object()) body.merge_patch(extra);
}

json resource_files_json(const std::vector<ResourceFile>& files) {
  json a = json::array();
  for (const auto& f : files) a.push_back(to_json(f));
  return a;
}

}  // namespace

json to_json(const ResourceFile& f) {
  json j = json::object();
  set_if(j, "httpUrl", f.http_url);
  set_if(j, "storageContainerUrl", f.storage_container_url);
  set_if(j, "blobPrefix", f.blob_prefix);
  set_if(j, "filePath", f.file_path);
  set_if(j, "fileMode", f.file_mode);
  return j;
}

json to_json(const StartTask& t) {
  json j = {{"commandLine", t.command_line},
            {"waitForSuccess", t.wait_for_success},
            {"maxTaskRetryCount", t.max_task_retry_count}};
  if (!t.resource_files.empty()) j["resourceFiles"] = resource_files_json(t.resource_files);
  if (!t.environment_settings.empty()) j["environmentSettings"] = env_json(t.environment_settings);
  if (t.auto_user) j["userIdentity"] = user_json(*t.auto_user);
  return j;
}

json to_json(const PoolSpec& p) {
  json j = {{"id", p.id},
            {"vmSize", p.vm_size},
            {"targetDedicatedNodes", p.target_dedicated_nodes},
            {"targetLowPriorityNodes", p.target_low_priority_nodes},
            {"taskSlotsPerNode", p.task_slots_per_node},
            {"virtualMachineConfiguration",
             {{"imageReference",
               {{"publisher", p.image_reference.publisher},
                {"offer", p.image_reference.offer},
                {"sku", p.image_reference.sku},
                {"version", p.image_reference.version}}},
              {"nodeAgentSKUId", p.node_agent_sku_id}}}};
  set_if(j, "displayName", p.display_name);
  if (p.start_task) j["startTask"] = to_json(*p.start_task);
  merge_extra(j, p.extra);
  return j;
}

json to_json(const JobSpec& s) {
  json j = {{"id", s.id}, {"poolInfo", {{"poolId", s.pool_id}}}};
  set_if(j, "displayName", s.display_name);
  if (s.priority != 0) j["priority"] = s.priority;
  set_if(j, "onAllTasksComplete", s.on_all_tasks_complete);
  merge_extra(j, s.extra);
  return j;
}

json to_json(const TaskSpec& t) {
  json j = {{"id", t.id}, {"commandLine", t.command_line}};
  set_if(j, "displayName", t.display_name);
  if (!t.resource_files.empty()) j["resourceFiles"] = resource_files_json(t.resource_files);
  if (!t.environment_settings.empty()) j["environmentSettings"] = env_json(t.environment_settings);
  if (t.auto_user) j["userIdentity"] = user_json(*t.auto_user);
  if (t.max_wall_clock_time || t.max_task_retry_count) {
    json c = json::object();
    if (t.max_wall_clock_time) c["maxWallClockTime"] = *t.max_wall_clock_time;
    if (t.max_task_retry_count) c["maxTaskRetryCount"] = *t.max_task_retry_count;
    j["constraints"] = c;
  }
  merge_extra(j, t.extra);
  return j;
}

SupportedImage supported_image_from_json(const json& j) {
  SupportedImage s;
  s.node_agent_sku_id = str(j, "nodeAgentSKUId");
  if (auto it = j.find("imageReference"); it != j.end() && it->is_object())
    s.image_reference = {str(*it, "publisher"), str(*it, "offer"), str(*it, "sku"), str(*it, "version")};
  s.os_type = str(j, "osType");
  s.verification_type = str(j, "verificationType");
  s.raw = j;
  return s;
}

Pool pool_from_json(const json& j) {
  Pool p;
  p.id = str(j, "id");
  p.e_tag = str(j, "eTag");
  p.state = str(j, "state");
  p.allocation_state = str(j, "allocationState");
  p.vm_size = str(j, "vmSize");
  p.current_dedicated_nodes = num(j, "currentDedicatedNodes");
  p.target_dedicated_nodes = num(j, "targetDedicatedNodes");
  p.creation_time = str(j, "creationTime");
  p.raw = j;
  return p;
}

Job job_from_json(const json& j) {
  Job job;
  job.id = str(j, "id");
  job.e_tag = str(j, "eTag");
  job.state = str(j, "state");
  job.creation_time = str(j, "creationTime");
  if (auto it = j.find("poolInfo"); it != j.end() && it->is_object()) job.pool_id = str(*it, "poolId");
  job.raw = j;
  return job;
}

Task task_from_json(const json& j) {
  Task t;
  t.id = str(j, "id");
  t.e_tag = str(j, "eTag");
  t.state = str(j, "state");
  t.command_line = str(j, "commandLine");
  t.creation_time = str(j, "creationTime");
  if (auto it = j.find("executionInfo"); it != j.end() && it->is_object()) {
    const json& e = *it;
    if (auto ec = e.find("exitCode"); ec != e.end() && ec->is_number_integer())
      t.execution_info.exit_code = ec->get<int>();
    t.execution_info.result = str(e, "result");
    t.execution_info.start_time = str(e, "startTime");
    t.execution_info.end_time = str(e, "endTime");
    t.execution_info.retry_count = num(e, "retryCount");
    if (auto f = e.find("failureInfo"); f != e.end() && f->is_object()) {
      t.execution_info.failure_code = str(*f, "code");
      t.execution_info.failure_message = str(*f, "message");
    }
  }
  if (auto it = j.find("nodeInfo"); it != j.end() && it->is_object()) {
    t.node_id = str(*it, "nodeId");
    t.pool_id = str(*it, "poolId");
  }
  t.raw = j;
  return t;
}

ComputeNode node_from_json(const json& j) {
  ComputeNode n;
  n.id = str(j, "id");
  n.state = str(j, "state");
  n.vm_size = str(j, "vmSize");
  n.ip_address = str(j, "ipAddress");
  n.scheduling_state = str(j, "schedulingState");
  n.running_tasks_count = num(j, "runningTasksCount");
  n.total_tasks_run = num(j, "totalTasksRun");
  n.raw = j;
  return n;
}

NodeFile node_file_from_json(const json& j) {
  NodeFile f;
  f.name = str(j, "name");
  f.url = str(j, "url");
  if (auto it = j.find("isDirectory"); it != j.end() && it->is_boolean()) f.is_directory = it->get<bool>();
  if (auto p = j.find("properties"); p != j.end() && p->is_object()) {
    if (auto cl = p->find("contentLength"); cl != p->end()) {
      if (cl->is_number()) f.content_length = cl->get<uint64_t>();
      else if (cl->is_string()) f.content_length = std::strtoull(cl->get<std::string>().c_str(), nullptr, 10);
    }
    f.last_modified = str(*p, "lastModified");
  }
  f.raw = j;
  return f;
}

PoolNodeCounts pool_node_counts_from_json(const json& j) {
  PoolNodeCounts c;
  c.pool_id = str(j, "poolId");
  if (auto d = j.find("dedicated"); d != j.end() && d->is_object()) {
    c.dedicated_total = num(*d, "total");
    c.dedicated_idle = num(*d, "idle");
    c.dedicated_running = num(*d, "running");
    c.dedicated_starting = num(*d, "starting") + num(*d, "waitingForStartTask");
  }
  if (auto l = j.find("lowPriority"); l != j.end() && l->is_object()) c.low_priority_total = num(*l, "total");
  c.raw = j;
  return c;
}

}  // namespace kiln::client
