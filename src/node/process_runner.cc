#include "node/process_runner.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/log.h"
#include "core/time_format.h"

namespace kiln::node {
namespace {

// Without pidfds the reaper falls back to checking its children this often.
constexpr auto kPollFallback = std::chrono::milliseconds(10);

int pidfd_open(pid_t pid) { return int(::syscall(SYS_pidfd_open, pid, 0)); }

// The I/O counters of an exited (not yet reaped) process: the kernel has folded
// in those of every child it waited for.
void read_proc_io(pid_t pid, ResourceUsage& u) {
  // One read(2) into the stack: this runs for every task, on the reaper thread.
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/io", int(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[512];
  ssize_t n;
  do {
    n = ::read(fd, buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  if (n <= 0) return;
  buf[n] = '\0';
  // Lines "name: value"; the counters wanted are the first four.
  for (char* line = buf; *line;) {
    char* colon = std::strchr(line, ':');
    if (!colon) break;
    std::string_view name(line, size_t(colon - line));
    char* end = nullptr;
    long long value = std::strtoll(colon + 1, &end, 10);
    if (name == "rchar") u.read_bytes = value;
    else if (name == "wchar") u.write_bytes = value;
    else if (name == "syscr") u.read_ops = value;
    else if (name == "syscw") u.write_ops = value;
    char* nl = std::strchr(end ? end : colon, '\n');
    if (!nl) break;
    line = nl + 1;
  }
}

int64_t micros(const timeval& tv) { return int64_t(tv.tv_sec) * 1000000 + tv.tv_usec; }

}  // namespace

ProcessRunner::ProcessRunner() {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  reaper_ = std::thread([this] { reap_loop(); });
}

ProcessRunner::~ProcessRunner() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  kill_all();
  reaper_.join();
  ::close(wake_fd_);
}

void ProcessRunner::wake() {
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

SpawnResult ProcessRunner::start(const SpawnRequest& request,
                                 std::optional<Clock::time_point> deadline, OnExit on_exit) {
  SpawnResult r = spawn_process(request);
  if (r.pid <= 0) return r;
  Child child;
  child.on_exit = std::move(on_exit);
  child.deadline = deadline;
  {
    std::lock_guard lock(mu_);
    if (have_pidfd_) {
      child.pidfd = pidfd_open(r.pid);
      if (child.pidfd < 0 && errno == ENOSYS) have_pidfd_ = false;
    }
    if (stopping_) {
      ::kill(-r.pid, SIGKILL);
      child.terminated = true;
    }
    children_.emplace(r.pid, std::move(child));
  }
  wake();
  return r;
}

bool ProcessRunner::terminate(pid_t pid, std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(mu_);
    auto it = children_.find(pid);
    if (it == children_.end()) return false;
    Child& c = it->second;
    if (!c.terminated) {
      c.terminated = true;
      ::kill(-pid, SIGTERM);
      c.kill_at = Clock::now() + grace;
    }
  }
  wake();
  return true;
}

void ProcessRunner::kill_all() {
  {
    std::lock_guard lock(mu_);
    for (auto& [pid, c] : children_) {
      c.terminated = true;
      c.kill_at.reset();
      ::kill(-pid, SIGKILL);
    }
  }
  wake();
}

size_t ProcessRunner::running() const {
  std::lock_guard lock(mu_);
  return children_.size();
}

bool ProcessRunner::try_reap(pid_t pid, Child& child, Exit& exit) {
  siginfo_t info{};
  // Peek first: the leader must stay a zombie (holding its pid and so the group
  // id) while the rest of its group is killed.
  if (::waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno != ECHILD) return false;
    // Someone else reaped it (e.g. SIGCHLD set to SIG_IGN): report a kill.
    info.si_pid = pid;
    info.si_code = CLD_KILLED;
    info.si_status = SIGKILL;
  } else if (info.si_pid != pid) {
    return false;  // still running
  } else {
    ::kill(-pid, SIGKILL);
    read_proc_io(pid, exit.usage);
    // wait4 reaps and reports the CPU time of the leader and its waited-for children.
    int status = 0;
    rusage ru{};
    while (::wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
    }
    exit.usage.user_cpu_us = micros(ru.ru_utime);
    exit.usage.kernel_cpu_us = micros(ru.ru_stime);
    exit.usage.max_rss_bytes = int64_t(ru.ru_maxrss) * 1024;
  }
  exit.exit_code = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
  exit.timed_out = child.timed_out;
  exit.terminated = child.terminated && !child.timed_out;
  exit.end_time_us = timefmt::to_micros(timefmt::now());
  if (child.pidfd >= 0) ::close(child.pidfd);
  child.pidfd = -1;
  return true;
}

void ProcessRunner::reap_loop() {
  pthread_setname_np(pthread_self(), "kiln-reaper");
  std::vector<pollfd> fds;
  std::vector<pid_t> fd_pids;
  std::vector<std::pair<OnExit, Exit>> exited;
  for (;;) {
    int timeout_ms = -1;
    bool check_all = false;
    fds.clear();
    fd_pids.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    fd_pids.push_back(0);
    {
      std::lock_guard lock(mu_);
      if (stopping_ && children_.empty()) return;
      auto now = Clock::now();
      std::optional<Clock::time_point> next;
      for (auto& [pid, c] : children_) {
        if (c.pidfd >= 0) {
          fds.push_back({c.pidfd, POLLIN, 0});
          fd_pids.push_back(pid);
        } else {
          check_all = true;
        }
        for (const auto& t : {c.timed_out ? std::nullopt : c.deadline, c.kill_at}) {
          if (t && (!next || *t < *next)) next = t;
        }
      }
      if (next) {
        auto ms = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
        timeout_ms = int(std::max<int64_t>(0, std::min<int64_t>(ms, 60000)));
      }
      if (check_all && (timeout_ms < 0 || timeout_ms > kPollFallback.count())) {
        timeout_ms = int(kPollFallback.count());
      }
    }
    int n = ::poll(fds.data(), fds.size(), timeout_ms);
    if (n < 0 && errno != EINTR) LOG_ERROR("node: reaper poll failed: errno " << errno);
    if (fds[0].revents & POLLIN) {
      uint64_t v;
      (void)!::read(wake_fd_, &v, sizeof v);
    }
    exited.clear();
    {
      std::lock_guard lock(mu_);
      auto now = Clock::now();
      for (auto& [pid, c] : children_) {
        if (c.deadline && !c.timed_out && *c.deadline <= now) {
          c.timed_out = true;
          ::kill(-pid, SIGKILL);
        }
        if (c.kill_at && *c.kill_at <= now) {
          c.kill_at.reset();
          ::kill(-pid, SIGKILL);
        }
      }
      auto reap = [&](pid_t pid) {
        auto it = children_.find(pid);
        if (it == children_.end()) return;
        Exit e;
        if (!try_reap(pid, it->second, e)) return;
        exited.emplace_back(std::move(it->second.on_exit), e);
        children_.erase(it);
      };
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents) reap(fd_pids[i]);
      }
      if (check_all) {
        std::vector<pid_t> polled;
        for (auto& [pid, c] : children_) {
          if (c.pidfd < 0) polled.push_back(pid);
        }
        for (pid_t pid : polled) reap(pid);
      }
    }
    for (auto& [cb, e] : exited) {
      if (cb) cb(e);
    }
  }
}

}  // namespace kiln::node
