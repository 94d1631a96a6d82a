#include "node/node_cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "core/log.h"

namespace kiln::node {
namespace {

constexpr const char* kCgroupRoot = "/sys/fs/cgroup";
constexpr int64_t kCpuPeriodUs = 100000;

bool write_text(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = ::write(fd, value.data(), value.size());
  ::close(fd);
  return n == ssize_t(value.size());
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool is_dir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// This process's cgroup per controller from /proc/self/cgroup; "" is the v2 entry.
std::map<std::string, std::string> own_cgroups() {
  std::map<std::string, std::string> out;
  std::istringstream in(read_text("/proc/self/cgroup"));
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (controllers.empty()) out[""] = path;
    std::istringstream names(controllers);
    std::string name;
    while (std::getline(names, name, ',')) out[name] = path;
  }
  return out;
}

// Where new cgroups go: beside this process's own cgroup when it is visible
// under the mount (no cgroup namespace), else at the mount's root.
std::string parent_dir(const std::string& mount, const std::string& own) {
  if (!own.empty() && own != "/") {
    std::string dir = mount + own;
    if (is_dir(dir)) return dir;
  }
  return mount;
}

std::string sanitize(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return out;
}

// Removes empty node cgroups ("kiln-<pid>-...") of servers that are gone
// (e.g. killed with -9), so they do not pile up.
void remove_stale(const std::string& parent) {
  DIR* d = ::opendir(parent.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind("kiln-", 0) != 0) continue;
    long pid = std::strtol(n.c_str() + 5, nullptr, 10);
    if (pid > 0 && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH) ::rmdir((parent + "/" + n).c_str());
  }
  ::closedir(d);
}

}  // namespace

std::unique_ptr<NodeCgroup> NodeCgroup::create(const std::string& raw_name, int cores,
                                               int64_t memory_bytes) {
  std::unique_ptr<NodeCgroup> cg(new NodeCgroup());
  const std::string name = sanitize(raw_name);
  auto own = own_cgroups();
  const std::string root = kCgroupRoot;

  auto make = [&](const std::string& parent) -> std::string {
    remove_stale(parent);
    std::string dir = parent + "/" + name;
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return "";
    cg->dirs_.push_back(dir);
    cg->procs_files_.push_back(dir + "/cgroup.procs");
    return dir;
  };

  if (::access((root + "/cgroup.controllers").c_str(), F_OK) == 0) {
    // cgroup v2: the parent must delegate cpu and memory to its children (it
    // cannot while it holds processes itself, unless it is the root).
    std::string parent = parent_dir(root, own[""]);
    std::string wanted = std::string(memory_bytes > 0 ? "+memory " : "") + (cores > 0 ? "+cpu" : "");
    std::string enabled = read_text(parent + "/cgroup.subtree_control");
    bool delegated = true;
    for (const char* c : {"memory", "cpu"}) {
      if (wanted.find(std::string("+") + c) == std::string::npos) continue;
      if (enabled.find(c) == std::string::npos &&
          !write_text(parent + "/cgroup.subtree_control", std::string("+") + c)) {
        delegated = false;
      }
    }
    if (!delegated) return nullptr;
    std::string dir = make(parent);
    if (dir.empty()) return nullptr;
    if (memory_bytes > 0) write_text(dir + "/memory.max", std::to_string(memory_bytes));
    if (cores > 0) write_text(dir + "/cpu.max", std::to_string(cores * kCpuPeriodUs) + " " +
                                                    std::to_string(kCpuPeriodUs));
  } else {
    // cgroup v1: one hierarchy per controller.
    cg->v1_ = true;
    if (memory_bytes > 0 && is_dir(root + "/memory")) {
      std::string dir = make(parent_dir(root + "/memory", own["memory"]));
      if (!dir.empty()) write_text(dir + "/memory.limit_in_bytes", std::to_string(memory_bytes));
    }
    if (cores > 0 && is_dir(root + "/cpu")) {
      std::string dir = make(parent_dir(root + "/cpu", own["cpu"]));
      if (!dir.empty()) {
        write_text(dir + "/cpu.cfs_period_us", std::to_string(kCpuPeriodUs));
        write_text(dir + "/cpu.cfs_quota_us", std::to_string(cores * kCpuPeriodUs));
      }
    }
  }
  if (cg->dirs_.empty()) return nullptr;
  LOG_DEBUG("node: cgroups " << cg->dirs_.size() << " for " << name);
  return cg;
}

bool NodeCgroup::join_thread() const {
  if (!v1_) return false;
  // v1's "tasks" file takes a thread id (cgroup.procs would move the whole server).
  const std::string tid = std::to_string(::gettid());
  bool all = true;
  for (const auto& dir : dirs_) all = write_text(dir + "/tasks", tid) && all;
  return all;
}

NodeCgroup::~NodeCgroup() {
  // Killed tasks may take a moment to leave; a cgroup with members cannot go.
  for (const auto& dir : dirs_) {
    for (int i = 0; i < 100 && ::rmdir(dir.c_str()) != 0 && errno == EBUSY; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

}  // namespace kiln::node
