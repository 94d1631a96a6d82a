// Entities of the Azure Batch REST API (api-version 2022-10-01.16.0) as the
// Kiln client library exchanges them.
//
// *Spec types are what you send (PoolSpec = the REST "PoolAddParameter", ...);
// their `extra` JSON object is merged into the request body, so properties this
// header does not model can still be set. Returned entities carry the commonly
// used properties as fields and the complete JSON in `raw`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kiln::client {

struct ImageReference {
  std::string publisher, offer, sku, version = "latest";
};

struct ResourceFile {
  std::string http_url;               // e.g. a blob URL with a SAS
  std::string storage_container_url;  // alternatively a whole container (with SAS)
  std::string blob_prefix;
  std::string file_path;              // where it lands, relative to the task's working dir
  std::string file_mode;              // Linux octal mode, e.g. "0755"
};

struct EnvironmentSetting {
  std::string name, value;
};

// Runs the task under the pool's auto-user; scope "task" or "pool",
// elevation "nonadmin" or "admin".
struct AutoUser {
  std::string scope = "pool";
  std::string elevation_level = "nonadmin";
};

struct StartTask {
  std::string command_line;
  std::vector<ResourceFile> resource_files;
  std::vector<EnvironmentSetting> environment_settings;
  std::optional<AutoUser> auto_user;
  bool wait_for_success = true;
  int max_task_retry_count = 0;
};

struct PoolSpec {
  std::string id;
  std::string display_name;
  std::string vm_size = "standard_d1_v2";
  ImageReference image_reference;
  std::string node_agent_sku_id;
  int target_dedicated_nodes = 1;
  int target_low_priority_nodes = 0;
  int task_slots_per_node = 1;
  std::optional<StartTask> start_task;
  nlohmann::json extra = nlohmann::json::object();
};

struct JobSpec {
  std::string id;
  std::string pool_id;
  std::string display_name;
  int priority = 0;
  std::string on_all_tasks_complete;  // "", "noaction" or "terminatejob"
  nlohmann::json extra = nlohmann::json::object();
};

struct TaskSpec {
  std::string id;
  std::string command_line;
  std::string display_name;
  std::vector<ResourceFile> resource_files;
  std::vector<EnvironmentSetting> environment_settings;
  std::optional<AutoUser> auto_user;
  std::optional<std::string> max_wall_clock_time;  // ISO 8601 duration, e.g. "PT1H"
  std::optional<int> max_task_retry_count;
  nlohmann::json extra = nlohmann::json::object();
};

struct SupportedImage {
  std::string node_agent_sku_id;
  ImageReference image_reference;
  std::string os_type;            // "linux" / "windows"
  std::string verification_type;  // "verified" / "unverified"
  nlohmann::json raw;
};

struct Pool {
  std::string id, e_tag, state, allocation_state, vm_size;
  int current_dedicated_nodes = 0, target_dedicated_nodes = 0;
  std::string creation_time;
  nlohmann::json raw;
};

struct Job {
  std::string id, e_tag, state, pool_id, creation_time;
  nlohmann::json raw;
};

struct TaskExecutionInfo {
  std::optional<int> exit_code;
  std::string result;  // "success" / "failure" once completed
  std::string start_time, end_time;
  int retry_count = 0;
  std::string failure_code, failure_message;  // from failureInfo
};

struct Task {
  std::string id, e_tag, state, command_line, creation_time;
  TaskExecutionInfo execution_info;
  std::string node_id, pool_id;  // from nodeInfo, once scheduled
  nlohmann::json raw;
};

struct ComputeNode {
  std::string id, state, vm_size, ip_address, scheduling_state;
  int running_tasks_count = 0, total_tasks_run = 0;
  nlohmann::json raw;
};

struct NodeFile {
  std::string name, url;
  bool is_directory = false;
  uint64_t content_length = 0;
  std::string last_modified;
  nlohmann::json raw;
};

struct TaskCounts {
  int active = 0, running = 0, completed = 0, succeeded = 0, failed = 0;
};

// Node counts of one pool by state (account-level "list pool node counts").
struct PoolNodeCounts {
  std::string pool_id;
  int dedicated_total = 0, dedicated_idle = 0, dedicated_running = 0, dedicated_starting = 0;
  int low_priority_total = 0;
  nlohmann::json raw;
};

// Per-task outcome of add_task_collection.
struct TaskAddResult {
  std::string task_id;
  std::string status;  // "success", "clientError", "serverError"
  std::string error_code, error_message;
};

// Serialisation (the REST JSON shapes).
nlohmann::json to_json(const PoolSpec& spec);
nlohmann::json to_json(const JobSpec& spec);
nlohmann::json to_json(const TaskSpec& spec);
nlohmann::json to_json(const StartTask& start_task);
nlohmann::json to_json(const ResourceFile& file);
SupportedImage supported_image_from_json(const nlohmann::json& j);
Pool pool_from_json(const nlohmann::json& j);
Job job_from_json(const nlohmann::json& j);
Task task_from_json(const nlohmann::json& j);
ComputeNode node_from_json(const nlohmann::json& j);
NodeFile node_file_from_json(const nlohmann::json& j);
PoolNodeCounts pool_node_counts_from_json(const nlohmann::json& j);

}  // namespace kiln::client
