#include "node/leftover_tasks.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include "core/log.h"

namespace kiln::node {
namespace {

// True when the NUL-separated environment in `env` has exactly `entry`.
bool has_entry(std::string_view env, std::string_view entry) {
  size_t pos = 0;
  while (pos < env.size()) {
    size_t end = env.find('\0', pos);
    if (end == std::string_view::npos) end = env.size();
    if (env.substr(pos, end - pos) == entry) return true;
    pos = end + 1;
  }
  return false;
}

std::string read_environ(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/environ";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, size_t(n));
    if (out.size() > (1u << 20)) break;  // environments are small; stop at 1 MiB
  }
  ::close(fd);
  return out;
}

}  // namespace

int kill_leftover_tasks(const std::string& node_root) {
  const std::string entry = "AZ_BATCH_NODE_ROOT_DIR=" + node_root;
  DIR* proc = ::opendir("/proc");
  if (!proc) return 0;
  const pid_t self = ::getpid();
  int killed = 0;
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0' || pid == self) continue;
    if (!has_entry(read_environ(pid_t(pid)), entry)) continue;
    if (::kill(pid_t(pid), SIGKILL) == 0) ++killed;
  }
  ::closedir(proc);
  if (killed) LOG_WARN("node: killed " << killed << " task processes left running under " << node_root);
  return killed;
}

}  // namespace kiln::node
