#include "node/subprocess.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>

#include "core/open_file_limit.h"

namespace kiln::node {
namespace {

constexpr size_t kChildStackBytes = 64 * 1024;

// Everything the child needs, prepared by the parent: between clone and
// execve the child shares the parent's memory and may not allocate.
struct ChildArgs {
  const char* path;
  char* const* argv;
  const char* fallback_path;  // null when there is no fallback
  char* const* fallback_argv;
  char* const* envp;
  const char* cwd;
  int stdout_fd;
  int stderr_fd;
  int null_fd;
  bool switch_user;
  uid_t uid;
  gid_t gid;
  bool kill_with_parent;
  const char* const* cgroup_procs;  // null-terminated
  int max_fd;  // for closing descriptors when close_range is missing
  bool restore_nofile;  // the server raised its open-file limit: the task gets the one it was given
  rlimit nofile;
  // Written by the child when a step fails (the parent reads it after the
  // vfork-style resume).
  int error;
  const char* step;
};

[[noreturn]] void child_fail(ChildArgs* a, const char* step) {
  a->error = errno;
  a->step = step;
  ::_exit(127);
}

// Moves `from` onto `to`, clearing close-on-exec on the result.
bool move_fd(int from, int to) {
  if (from == to) return ::syscall(SYS_fcntl, to, F_SETFD, 0) == 0;
  return ::syscall(SYS_dup3, from, to, 0) >= 0;
}

int child_main(void* arg) {
  auto* a = static_cast<ChildArgs*>(arg);
  // Handlers installed by the server must not run in the child (they would run
  // on borrowed memory) nor be inherited as "ignored" by the task.
  // The raw system call, because glibc's sigaction() refuses its internal
  // real-time signals (32, 33), which the server may still have inherited as ignored.
  struct KernelSigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    uint64_t mask;
  } dfl{};  // SIG_DFL, no flags, empty mask
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof dfl.mask);
  }
  if (::syscall(SYS_setsid) < 0) child_fail(a, "setsid");
  for (const char* const* p = a->cgroup_procs; *p; ++p) {
    long fd = ::syscall(SYS_openat, AT_FDCWD, *p, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      (void)::syscall(SYS_write, fd, "0", 1);
      ::syscall(SYS_close, fd);
    }
  }
  // chdir before dropping privileges: the task may lack search permission on
  // the node root's ancestors but still owns its working directory.
  if (::syscall(SYS_chdir, a->cwd) != 0) child_fail(a, "chdir");
  if (a->switch_user) {
    gid_t groups[1] = {a->gid};
    if (::syscall(SYS_setgroups, 1, groups) != 0) child_fail(a, "setgroups");
    if (::syscall(SYS_setresgid, a->gid, a->gid, a->gid) != 0) child_fail(a, "setresgid");
    if (::syscall(SYS_setresuid, a->uid, a->uid, a->uid) != 0) child_fail(a, "setresuid");
  }
  // The task dies with the server (a credential change clears this, so it
  // comes after). The parent is suspended until execve, so it cannot have died
  // unnoticed in between.
  if (a->kill_with_parent) ::syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (!move_fd(a->null_fd, 0) || !move_fd(a->stdout_fd, 1) || !move_fd(a->stderr_fd, 2)) {
    child_fail(a, "dup");
  }
  if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0) {
    for (int fd = 3; fd < a->max_fd; ++fd) ::syscall(SYS_close, fd);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (a->restore_nofile && ::syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &a->nofile, nullptr) != 0)
    child_fail(a, "prlimit");
  ::syscall(SYS_execve, a->path, a->argv, a->envp);
  if (a->fallback_path) ::syscall(SYS_execve, a->fallback_path, a->fallback_argv, a->envp);
  child_fail(a, "execve");
}

// A descriptor numbered 3 or above (so moving it onto 0..2 never clobbers
// another source); `owned` tells the caller to close it.
int high_fd(int fd, bool& owned) {
  owned = false;
  if (fd >= 3) return fd;
  int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  owned = dup >= 0;
  return dup;
}

int open_file_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 65536;
  return int(std::min<rlim_t>(rl.rlim_cur, 65536));
}

}  // namespace

SpawnResult spawn_process(const SpawnRequest& request) {
  SpawnResult result;
  if (request.argv.empty()) {
    result.error = EINVAL;
    result.what = "argv";
    return result;
  }
  std::vector<char*> argv;
  for (const auto& s : request.argv) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> fallback;
  for (const auto& s : request.fallback_argv) fallback.push_back(const_cast<char*>(s.c_str()));
  fallback.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& s : request.env) envp.push_back(const_cast<char*>(s.c_str()));
  envp.push_back(nullptr);

  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  bool null_owned = null_fd >= 0;
  bool out_owned = false, err_owned = false;
  int out_fd = high_fd(request.stdout_fd, out_owned);
  int err_fd = high_fd(request.stderr_fd, err_owned);
  bool null_dup_owned = false;
  int null_high = null_fd >= 0 ? high_fd(null_fd, null_dup_owned) : -1;
  auto cleanup = [&] {
    if (null_dup_owned) ::close(null_high);
    if (null_owned) ::close(null_fd);
    if (out_owned) ::close(out_fd);
    if (err_owned) ::close(err_fd);
  };
  if (null_high < 0 || out_fd < 0 || err_fd < 0) {
    result.error = errno ? errno : EBADF;
    result.what = "descriptors";
    cleanup();
    return result;
  }

  ChildArgs args{};
  args.path = argv[0];
  args.argv = argv.data();
  args.fallback_path = fallback[0];
  args.fallback_argv = fallback.data();
  args.envp = envp.data();
  args.cwd = request.cwd.c_str();
  args.stdout_fd = out_fd;
  args.stderr_fd = err_fd;
  args.null_fd = null_high;
  args.switch_user = request.run_as.has_value();
  if (request.run_as) {
    args.uid = request.run_as->uid;
    args.gid = request.run_as->gid;
  }
  args.kill_with_parent = request.kill_with_parent;
  std::vector<const char*> cgroup_procs;
  for (const auto& p : request.join_cgroups) cgroup_procs.push_back(p.c_str());
  cgroup_procs.push_back(nullptr);
  args.cgroup_procs = cgroup_procs.data();
  args.max_fd = open_file_limit();
  args.restore_nofile = inherited_open_file_limit(args.nofile);

  // The child's stack, reused by every spawn of this thread (the thread is
  // suspended until the child execs, so no two children share it) and never
  // zeroed: 64 KiB of memset and page faults per task otherwise.
  thread_local std::unique_ptr<char[]> stack(new char[kChildStackBytes]);
  sigset_t all, saved;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  pid_t pid = ::clone(child_main, stack.get() + kChildStackBytes, CLONE_VM | CLONE_VFORK | SIGCHLD,
                      &args);
  int clone_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  cleanup();

  if (pid < 0) {
    result.error = clone_errno;
    result.what = "clone";
    return result;
  }
  if (args.step) {
    // The child failed before execve and has exited: reap it now.
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.error = args.error;
    result.what = args.step;
    return result;
  }
  result.pid = pid;
  return result;
}

}  // namespace kiln::node
