// The narrow boundary between the Batch service and a compute node: the service
// hands a node work to run (start tasks and tasks) and reads its files; the node
// reports what happened. Nothing here knows about HTTP, SQLite or the Batch REST
// model, so a remote agent on another machine can implement the same interface.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln::node {

// A file to fetch into the task's working directory before the command runs.
struct ResourceFile {
  std::string http_url;               // a single file (e.g. a blob SAS URL)
  std::string storage_container_url;  // or every blob of a container (SAS URL) ...
  std::string blob_prefix;            // ... whose name starts with this
  std::string file_path;              // destination relative to the working dir
  std::string file_mode;              // octal, e.g. "0755"; empty = default
};

struct UserIdentity {
  bool elevated = false;    // admin: runs as root; non-admin runs as an unprivileged user
  bool pool_scope = false;  // auto-user scope "pool" vs "task"
  std::string user_name;    // a pool user account, when named
};

// One execution attempt of a start task or a task.
struct TaskSpec {
  enum class Kind { kStartTask, kTask };
  Kind kind = Kind::kTask;
  std::string job_id;   // empty for the start task
  std::string task_id;  // empty for the start task
  int attempt = 0;      // 0-based retry number, for logging
  std::string command_line;             // run with /bin/sh -c, as Azure's Linux nodes do
  std::map<std::string, std::string> environment;  // user environment settings
  std::vector<ResourceFile> resource_files;
  UserIdentity user;
  std::optional<int64_t> max_wall_clock_ms;  // kill the process tree past this
};

// What an attempt's processes consumed, as the kernel accounts it for the task
// process and every descendant it waited for (a descendant left running and
// killed with the group is not counted). Zero when unknown.
struct ResourceUsage {
  int64_t user_cpu_us = 0;
  int64_t kernel_cpu_us = 0;
  int64_t read_ops = 0, write_ops = 0;      // read/write system calls
  int64_t read_bytes = 0, write_bytes = 0;  // bytes they moved (page-cache hits included)
  int64_t max_rss_bytes = 0;                // largest resident set of any one process
};

// What the agent reports when an attempt has finished (or could not start).
struct TaskOutcome {
  std::optional<int> exit_code;  // absent when the process never ran
  // Set on failure to run or a non-zero result, as Azure reports taskFailureInformation:
  // category "UserError"/"ServerError", code e.g. "FailureExitCode",
  // "ResourceFileDownloadFailed", "TaskEnded" (wall clock), "TaskTerminated".
  std::string failure_category;
  std::string failure_code;
  std::string failure_message;
  std::vector<std::pair<std::string, std::string>> failure_details;
  int64_t start_time_us = 0;  // when the command started (after resource files)
  int64_t end_time_us = 0;
  bool timed_out = false;     // maxWallClockTime elapsed
  bool terminated = false;    // stopped by terminate()
  ResourceUsage usage;        // of the command's process tree (zero if it never ran)
};

struct FileInfo {
  std::string name;  // path relative to the directory listed, '/'-separated
  bool is_directory = false;
  uint64_t size = 0;
  int64_t creation_time_us = 0;
  int64_t last_modified_us = 0;
  std::string file_mode;  // octal, e.g. "0100644"
};

// Callbacks run on agent threads; implementations of the service must be thread-safe.
struct TaskCallbacks {
  std::function<void()> on_running;                     // resource files done, process started
  std::function<void(const TaskOutcome&)> on_complete;  // exactly once per run()
};

// Everything a node needs to know about itself and its pool.
struct NodeConfig {
  std::string account_name;
  std::string account_url;  // Batch account URL, for AZ_BATCH_ACCOUNT_URL
  std::string pool_id;
  std::string node_id;
  bool dedicated = true;
  int cores = 1;
  int64_t memory_bytes = 0;
  std::string root_dir;  // $AZ_BATCH_NODE_ROOT_DIR, created by the agent
  std::string ca_file;   // extra CA to trust when downloading resource files (Kiln's TLS cert)
};

class NodeAgent {
 public:
  virtual ~NodeAgent() = default;

  virtual const NodeConfig& config() const = 0;
  // Starts an attempt asynchronously; callbacks report progress.
  virtual void run(const TaskSpec& spec, TaskCallbacks callbacks) = 0;
  // Kills the attempt's whole process tree; its on_complete reports terminated=true.
  // No-op when it is not running.
  virtual void terminate(const std::string& job_id, const std::string& task_id) = 0;
  // Kills everything running on the node (reboot, removal, pool deletion).
  virtual void terminate_all() = 0;

  // The task's directory relative to the node root: "workitems/<job>/job-1/<task>",
  // or "startup" for the start task.
  virtual std::string task_dir(const std::string& job_id, const std::string& task_id) const = 0;
  // Removes a task's directory (retention time passed, or the task was deleted).
  virtual void remove_task_dir(const std::string& job_id, const std::string& task_id) = 0;

  // Files under `dir` (relative to the node root; "" is the root). Paths that would
  // escape the node root yield false.
  virtual bool list_files(const std::string& dir, bool recursive, std::vector<FileInfo>& out) const = 0;
  virtual bool stat_file(const std::string& path, FileInfo& out) const = 0;
  // Opens a regular file for reading; returns -1 when missing or outside the root.
  virtual int open_file(const std::string& path) const = 0;
  virtual bool delete_file(const std::string& path, bool recursive) = 0;
};

// Creates the embedded agent: the node is a sandbox directory on this machine.
std::unique_ptr<NodeAgent> make_local_node_agent(NodeConfig config);

}  // namespace kiln::node
