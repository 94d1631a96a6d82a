// The Batch directory layout of one compute node, rooted at
// $AZ_BATCH_NODE_ROOT_DIR:
//   shared/                                  AZ_BATCH_NODE_SHARED_DIR (all tasks read/write)
//   startup/{wd,stdout.txt,stderr.txt}       the start task (AZ_BATCH_NODE_STARTUP_DIR)
//   workitems/<job>/job-1/<task>/{wd,stdout.txt,stderr.txt}
//   applications/  fsmounts/  volatile/
// NodeLayout knows the names and creates the fixed skeleton; it holds an
// O_PATH descriptor of the root so later lookups cannot be redirected by
// renaming or replacing the root's ancestors. Immutable after construction,
// so thread-safe.
#pragma once

#include <optional>
#include <string>

#include "node/fs_beneath.h"

namespace kiln::node {

// Descriptors of a task directory prepared for one attempt; closed on destruction.
struct TaskDirHandles {
  int task = -1;    // the task directory
  int wd = -1;      // its working directory
  int stdout_fd = -1;  // stdout.txt, O_APPEND
  int stderr_fd = -1;  // stderr.txt, O_APPEND
  TaskDirHandles() = default;
  TaskDirHandles(const TaskDirHandles&) = delete;
  TaskDirHandles& operator=(const TaskDirHandles&) = delete;
  ~TaskDirHandles();
};

class NodeLayout {
 public:
  // Creates root_dir (mkdir -p) and the skeleton; `task_owner`, when set, owns
  // shared/ so unprivileged tasks can write there. Throws std::system_error.
  NodeLayout(const std::string& root_dir, std::optional<Owner> task_owner);
  ~NodeLayout();
  NodeLayout(const NodeLayout&) = delete;
  NodeLayout& operator=(const NodeLayout&) = delete;

  const std::string& root() const { return root_; }  // absolute, no trailing '/'
  int root_fd() const { return root_fd_; }
  std::string absolute(const std::string& relative) const;

  // "startup" for the start task (both ids empty), else "workitems/<job>/job-1/<task>";
  // nullopt when an id could name a path ('/', '.', '..', NUL, or empty).
  static std::optional<std::string> task_dir(const std::string& job_id, const std::string& task_id);
  // Creates (or reuses, on a retry) the task directory `relative` with wd/,
  // and opens stdout.txt/stderr.txt for appending. The directories above
  // it belong to the agent; the task directory and those files to `owner` when
  // set. Nothing on the way is followed through a symlink. False (errno set) on
  // failure.
  bool prepare_task_dir(const std::string& relative, std::optional<Owner> owner,
                        TaskDirHandles& out) const;

  // A Batch id usable as one path component.
  static bool is_component_safe(const std::string& id);

  static constexpr const char* kShared = "shared";
  static constexpr const char* kStartup = "startup";
  static constexpr const char* kWorkitems = "workitems";
  static constexpr const char* kMounts = "fsmounts";
  static constexpr const char* kWorkingDir = "wd";
  // Named by AZ_BATCH_CERTIFICATES_DIR; created only when certificates are
  // installed, which Kiln does not do.
  static constexpr const char* kCertsDir = "certs";
  static constexpr const char* kStdout = "stdout.txt";
  static constexpr const char* kStderr = "stderr.txt";

 private:
  std::string root_;
  int root_fd_ = -1;
};

}  // namespace kiln::node
