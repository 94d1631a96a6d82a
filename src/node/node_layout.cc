#include "node/node_layout.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <system_error>

#include "core/file_util.h"

namespace kiln::node {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void make_fixed_dir(int root_fd, const char* name, mode_t mode, std::optional<Owner> owner) {
  int fd = make_dirs_beneath(root_fd, name, mode, owner);
  if (fd < 0) throw_errno(std::string("create node directory ") + name);
  ::close(fd);
}

}  // namespace

NodeLayout::NodeLayout(const std::string& root_dir, std::optional<Owner> task_owner) {
  fs::make_dirs(root_dir);
  char resolved[PATH_MAX];
  if (!::realpath(root_dir.c_str(), resolved)) throw_errno("realpath " + root_dir);
  root_ = resolved;
  root_fd_ = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd_ < 0) throw_errno("open node root " + root_);
  // Tasks of any user must be able to traverse the root to reach their directories.
  ::chmod(root_.c_str(), 0755);
  make_fixed_dir(root_fd_, kShared, 0775, task_owner);
  make_fixed_dir(root_fd_, kStartup, 0755, std::nullopt);
  make_fixed_dir(root_fd_, kWorkitems, 0755, std::nullopt);
  make_fixed_dir(root_fd_, "applications", 0755, std::nullopt);
  make_fixed_dir(root_fd_, kMounts, 0755, std::nullopt);
  make_fixed_dir(root_fd_, "volatile", 0755, std::nullopt);
  if (task_owner) {
    // An existing shared/ (node restart) keeps working for the task user.
    int fd = open_beneath_nofollow(root_fd_, kShared, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
      (void)::fchown(fd, task_owner->uid, task_owner->gid);
      ::close(fd);
    }
  }
}

NodeLayout::~NodeLayout() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

std::string NodeLayout::absolute(const std::string& relative) const {
  if (relative.empty() || relative == ".") return root_;
  return root_ + "/" + relative;
}

TaskDirHandles::~TaskDirHandles() {
  for (int fd : {task, wd, stdout_fd, stderr_fd}) {
    if (fd >= 0) ::close(fd);
  }
}

bool NodeLayout::prepare_task_dir(const std::string& relative, std::optional<Owner> owner,
                                  TaskDirHandles& out) const {
  auto [parent, name] = split_parent(relative);
  // The job's directories exist after its first task: one lookup instead of a
  // mkdir and an open per level.
  int parent_fd = open_beneath_nofollow(root_fd_, parent, O_RDONLY | O_DIRECTORY);
  if (parent_fd < 0) parent_fd = make_dirs_beneath(root_fd_, parent, 0755, std::nullopt);
  if (parent_fd < 0) return false;
  out.task = make_dirs_beneath(parent_fd, name, 0755, owner);
  int saved = errno;
  ::close(parent_fd);
  errno = saved;
  if (out.task < 0) return false;
  out.wd = make_dirs_beneath(out.task, kWorkingDir, 0755, owner);
  if (out.wd < 0) return false;
  out.stdout_fd = open_beneath_nofollow(out.task, kStdout, O_WRONLY | O_CREAT | O_APPEND, 0644);
  out.stderr_fd = open_beneath_nofollow(out.task, kStderr, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (out.stdout_fd < 0 || out.stderr_fd < 0) return false;
  if (owner) {
    // A retry finds these already there, possibly created for another identity.
    for (int fd : {out.task, out.wd, out.stdout_fd, out.stderr_fd}) {
      (void)::fchown(fd, owner->uid, owner->gid);
    }
  }
  return true;
}

bool NodeLayout::is_component_safe(const std::string& id) {
  if (id.empty() || id == "." || id == "..") return false;
  return id.find('/') == std::string::npos && id.find('\0') == std::string::npos;
}

std::optional<std::string> NodeLayout::task_dir(const std::string& job_id,
                                                const std::string& task_id) {
  if (job_id.empty() && task_id.empty()) return std::string(kStartup);
  if (!is_component_safe(job_id) || !is_component_safe(task_id)) return std::nullopt;
  return std::string(kWorkitems) + "/" + job_id + "/job-1/" + task_id;
}

}  // namespace kiln::node
