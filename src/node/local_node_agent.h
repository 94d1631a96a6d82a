// The embedded compute node: a sandbox directory on this machine in which
// tasks run as real processes (see node_agent.h for the contract).
//
// run() only queues the attempt. A small pool of launcher threads (at most
// kMaxLaunchers, started on demand) prepares each attempt — task directory,
// ownership, resource files — and spawns the command line through /bin/sh
// (see command_line.h); one
// reaper thread (ProcessRunner) watches every running process. Callbacks run
// on those threads: on_running on a launcher, on_complete on a launcher or the
// reaper, never while the agent holds a lock, and on_complete always after
// on_running's return when both are called. Different attempts' callbacks may
// run concurrently. make_local_node_agent's handle may be destroyed anywhere,
// even inside one of these callbacks; a LocalNodeAgent itself must not be.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "node/node_agent.h"
#include "node/node_cgroup.h"
#include "node/node_layout.h"
#include "node/process_runner.h"

namespace kiln::node {

class LocalNodeAgent final : public NodeAgent {
 public:
  static constexpr size_t kMaxLaunchers = 4;
  // Between terminate()'s SIGTERM and the SIGKILL that follows.
  static constexpr std::chrono::milliseconds kTerminateGrace{3000};

  // Creates the node's directory layout. Throws std::system_error on failure.
  explicit LocalNodeAgent(NodeConfig config);
  // Stops everything still queued or running; each run's on_complete is
  // delivered (terminated) before the destructor returns.
  ~LocalNodeAgent() override;

  const NodeConfig& config() const override { return config_; }
  void run(const TaskSpec& spec, TaskCallbacks callbacks) override;
  void terminate(const std::string& job_id, const std::string& task_id) override;
  void terminate_all() override;
  std::string task_dir(const std::string& job_id, const std::string& task_id) const override;
  void remove_task_dir(const std::string& job_id, const std::string& task_id) override;
  bool list_files(const std::string& dir, bool recursive, std::vector<FileInfo>& out) const override;
  bool stat_file(const std::string& path, FileInfo& out) const override;
  int open_file(const std::string& path) const override;
  bool delete_file(const std::string& path, bool recursive) override;

  // True on this agent's launcher or reaper threads (i.e. inside its callbacks).
  bool on_own_thread() const;

 private:
  struct Attempt;

  void launcher_loop();
  void launch(const std::shared_ptr<Attempt>& a);
  void on_exit(const std::shared_ptr<Attempt>& a, const ProcessRunner::Exit& e);
  void finish(const std::shared_ptr<Attempt>& a, const TaskOutcome& outcome);
  std::vector<std::shared_ptr<Attempt>> attempts_for(const std::string& key);

  NodeConfig config_;
  std::optional<Owner> task_owner_;  // who non-admin tasks run as (none: no switching)
  std::unique_ptr<NodeLayout> layout_;
  std::unique_ptr<NodeCgroup> cgroup_;  // null where the host cannot confine tasks

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<std::shared_ptr<Attempt>> queue_;                 // guarded by mu_
  std::string ca_bundle_;  // CA bundle given to tasks; empty when Kiln serves plain HTTP
  std::multimap<std::string, std::shared_ptr<Attempt>> live_;  // queued or running; mu_
  std::vector<std::thread> launchers_;                         // mu_
  size_t idle_launchers_ = 0;                                  // mu_
  bool stopping_ = false;                                      // mu_

  std::unique_ptr<ProcessRunner> runner_;
};

}  // namespace kiln::node
