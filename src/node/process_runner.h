// Runs task processes and watches them from one reaper thread (no thread per
// process): each child's pidfd is polled together with a wake-up eventfd, and
// the poll timeout serves the earliest wall-clock deadline or kill escalation.
//
// Every process runs in its own process group. When the group leader exits,
// whatever is left in its group is killed before the leader is reaped (the
// leader's zombie keeps the group id from being reused, so the kill cannot hit
// an unrelated group). Deadlines and terminate() signal the whole group too.
// Children are reaped only by pid, never with waitpid(-1), so other children of
// the server are left alone.
//
// Thread-safe. Exit callbacks run on the reaper thread, one at a time, without
// any runner lock held (they may call back into the runner).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "node/node_agent.h"
#include "node/subprocess.h"

namespace kiln::node {

class ProcessRunner {
 public:
  using Clock = std::chrono::steady_clock;

  struct Exit {
    int exit_code = 0;        // the exit status, or 128 + signal number when killed
    bool timed_out = false;   // the deadline passed and the group was killed
    bool terminated = false;  // terminate()/kill_all() stopped it
    int64_t end_time_us = 0;  // wall clock, microseconds since the epoch
    ResourceUsage usage;      // rusage of the reaped leader + its /proc/<pid>/io before reaping
  };
  using OnExit = std::function<void(const Exit&)>;

  ProcessRunner();
  // Kills every remaining group, reaps the leaders and delivers their exits.
  ~ProcessRunner();
  ProcessRunner(const ProcessRunner&) = delete;
  ProcessRunner& operator=(const ProcessRunner&) = delete;

  // Spawns the process and watches it; `on_exit` is called exactly once when it
  // has been reaped — possibly before start() returns. On a spawn failure
  // nothing is watched and on_exit is never called.
  SpawnResult start(const SpawnRequest& request, std::optional<Clock::time_point> deadline,
                    OnExit on_exit);

  // SIGTERM to the group, then SIGKILL after `grace` if the leader still runs.
  // Returns false when `pid` is not a running child of this runner.
  bool terminate(pid_t pid, std::chrono::milliseconds grace);
  // SIGKILL to every group now; their exits report terminated.
  void kill_all();
  size_t running() const;

 private:
  struct Child {
    int pidfd = -1;  // -1 when the kernel lacks pidfd_open (then polled)
    OnExit on_exit;
    std::optional<Clock::time_point> deadline;
    std::optional<Clock::time_point> kill_at;
    bool timed_out = false;
    bool terminated = false;
  };

  void reap_loop();
  void wake();
  // Reaps `pid` if it has exited; fills `exit`. Requires mu_.
  bool try_reap(pid_t pid, Child& child, Exit& exit);

  mutable std::mutex mu_;
  std::map<pid_t, Child> children_;
  bool stopping_ = false;
  bool have_pidfd_ = true;
  int wake_fd_ = -1;
  std::thread reaper_;
};

}  // namespace kiln::node
