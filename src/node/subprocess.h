// Starting one task process: the child gets its own session and process group
// (setsid, so the group id equals its pid and a kill(-pid) reaches every
// descendant that stays in the group), its working directory, stdin from
// /dev/null, stdout/stderr on the given descriptors, no other inherited
// descriptors, default signal dispositions and an empty signal mask, and
// optionally an unprivileged uid/gid — then execve.
//
// The child is created with clone(CLONE_VM|CLONE_VFORK), as posix_spawn does,
// so the cost does not grow with the server's memory; the child only makes raw
// system calls before execve. Thread-safe: any thread may spawn at any time.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "node/fs_beneath.h"

namespace kiln::node {

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is the program's path (no PATH search)
  // Exec'd instead when execve of argv fails (e.g. /bin/sh -c, to reproduce the
  // shell's own error reporting); empty = none.
  std::vector<std::string> fallback_argv;
  std::vector<std::string> env;   // "NAME=value"
  std::string cwd;                // absolute; entered before dropping privileges
  int stdout_fd = -1;
  int stderr_fd = -1;
  std::optional<Owner> run_as;  // setgroups/setresgid/setresuid to this when set
  // SIGKILL the child when the spawning thread's process dies (PR_SET_PDEATHSIG;
  // note it fires when the spawning *thread* exits, so spawn from long-lived threads).
  bool kill_with_parent = false;
  // cgroup.procs files the child writes "0" into (joining those cgroups) before
  // it drops privileges; failures are ignored (the task then runs unconfined).
  std::vector<std::string> join_cgroups;
};

struct SpawnResult {
  pid_t pid = -1;   // > 0 on success; the child is then the caller's to reap
  int error = 0;    // errno of the failed step otherwise
  std::string what; // which step failed ("chdir", "execve", ...)
};

SpawnResult spawn_process(const SpawnRequest& request);

}  // namespace kiln::node
