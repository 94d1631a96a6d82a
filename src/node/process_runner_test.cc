#include "node/process_runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <mutex>
#include <vector>

#include "node/test_support.h"

namespace kiln::node {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

// Collects exits delivered by the runner's reaper thread.
struct Exits {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<ProcessRunner::Exit> got;

  ProcessRunner::OnExit callback() {
    return [this](const ProcessRunner::Exit& e) {
      std::lock_guard lock(mu);
      got.push_back(e);
      cv.notify_all();
    };
  }
  bool wait_for(size_t n, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return got.size() >= n; });
  }
};

class ProcessRunnerTest : public ::testing::Test {
 protected:
  SpawnRequest shell(const std::string& script) {
    SpawnRequest r;
    r.argv = {"/bin/sh", "-c", script};
    r.env = {"PATH=/usr/bin:/bin", "GREETING=hello"};
    r.cwd = dir.path();
    out = ::open((dir / "out.txt").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    err = ::open((dir / "err.txt").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    r.stdout_fd = out;
    r.stderr_fd = err;
    return r;
  }
  void TearDown() override {
    if (out >= 0) ::close(out);
    if (err >= 0) ::close(err);
  }
  pid_t read_pid(const std::string& file) {
    for (int i = 0; i < 500; ++i) {
      std::string s = testing::slurp(dir / file);
      if (!s.empty() && s.back() == '\n') return pid_t(std::stoi(s));
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }

  TempDir dir;
  int out = -1, err = -1;
};

TEST_F(ProcessRunnerTest, ReportsExitCodeAndCapturesOutputInItsDirectory) {
  ProcessRunner runner;
  Exits exits;
  auto r = runner.start(shell("echo \"$GREETING from $(pwd)\"; echo oops >&2; exit 3"),
                        std::nullopt, exits.callback());
  ASSERT_GT(r.pid, 0);
  ASSERT_TRUE(exits.wait_for(1));
  EXPECT_EQ(exits.got[0].exit_code, 3);
  EXPECT_FALSE(exits.got[0].timed_out);
  EXPECT_FALSE(exits.got[0].terminated);
  EXPECT_GT(exits.got[0].end_time_us, 0);
  EXPECT_EQ(testing::slurp(dir / "out.txt"), "hello from " + dir.path() + "\n");
  EXPECT_EQ(testing::slurp(dir / "err.txt"), "oops\n");
}

TEST_F(ProcessRunnerTest, ReportsTheCpuTimeAndIoOfTheTaskAndTheChildrenItWaitedFor) {
  ProcessRunner runner;
  Exits exits;
  // The CPU burn and the 64 KiB write happen in children the shell waits for.
  auto r = runner.start(shell("i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; "
                              "head -c 65536 /dev/zero > data.bin; cat data.bin > /dev/null"),
                        std::nullopt, exits.callback());
  ASSERT_GT(r.pid, 0);
  ASSERT_TRUE(exits.wait_for(1));
  const ResourceUsage& u = exits.got[0].usage;
  EXPECT_GT(u.user_cpu_us + u.kernel_cpu_us, 0);
  EXPECT_GE(u.write_bytes, 65536);
  EXPECT_GE(u.read_bytes, 65536);
  EXPECT_GT(u.write_ops, 0);
  EXPECT_GT(u.read_ops, 0);
  EXPECT_GT(u.max_rss_bytes, 0);
}

TEST_F(ProcessRunnerTest, ChildRunsInItsOwnSessionWithNoInheritedDescriptors) {
  ProcessRunner runner;
  Exits exits;
  // A descriptor the server forgot to mark close-on-exec must not reach tasks.
  int opened = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(opened, 0);
  const int leaked = 100;
  ASSERT_EQ(::dup2(opened, leaked), leaked);
  ::close(opened);
  auto r = runner.start(shell("ps -o sid= -p $$ > sid.txt; ls /proc/self/fd > fds.txt"),
                        std::nullopt, exits.callback());
  ::close(leaked);
  ASSERT_GT(r.pid, 0);
  ASSERT_TRUE(exits.wait_for(1));
  EXPECT_EQ(exits.got[0].exit_code, 0);
  std::string sid = testing::slurp(dir / "sid.txt");
  if (!sid.empty()) {  // empty when ps is not installed
    EXPECT_EQ(std::stoi(sid), r.pid);
  }
  std::string fds = testing::slurp(dir / "fds.txt");
  EXPECT_NE(fds.find("0\n1\n2\n"), std::string::npos) << fds;
  EXPECT_EQ(fds.find("100\n"), std::string::npos) << fds;
}

TEST_F(ProcessRunnerTest, ChildStartsWithDefaultSignalsWhateverTheServerBlocksOrIgnores) {
  // `kiln serve` ignores SIGPIPE and blocks SIGTERM/SIGINT (it sigwaits them).
  sigset_t block, saved;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &saved), 0);
  auto old_pipe = std::signal(SIGPIPE, SIG_IGN);
  ProcessRunner runner;
  Exits exits;
  SpawnRequest req = shell("");
  req.argv = {"/bin/cat", "/proc/self/status"};
  auto r = runner.start(req, std::nullopt, exits.callback());
  std::signal(SIGPIPE, old_pipe);
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  ASSERT_GT(r.pid, 0);
  ASSERT_TRUE(exits.wait_for(1));
  std::string status = testing::slurp(dir / "out.txt");
  EXPECT_NE(status.find("SigBlk:\t0000000000000000\n"), std::string::npos) << status;
  EXPECT_NE(status.find("SigIgn:\t0000000000000000\n"), std::string::npos) << status;
}

TEST_F(ProcessRunnerTest, DeadlineKillsTheWholeGroupIncludingGrandchildren) {
  ProcessRunner runner;
  Exits exits;
  auto deadline = ProcessRunner::Clock::now() + 300ms;
  auto r = runner.start(shell("sleep 100 & echo $! > bg.pid; sleep 100"), deadline,
                        exits.callback());
  ASSERT_GT(r.pid, 0);
  pid_t bg = read_pid("bg.pid");
  ASSERT_GT(bg, 0);
  ASSERT_TRUE(exits.wait_for(1));
  EXPECT_TRUE(exits.got[0].timed_out);
  EXPECT_FALSE(exits.got[0].terminated);
  EXPECT_EQ(exits.got[0].exit_code, 128 + SIGKILL);
  EXPECT_TRUE(testing::process_gone(bg));
}

TEST_F(ProcessRunnerTest, TerminateSendsTermToTheGroup) {
  ProcessRunner runner;
  Exits exits;
  auto r = runner.start(shell("sleep 100 & echo $! > bg.pid; wait"), std::nullopt,
                        exits.callback());
  ASSERT_GT(r.pid, 0);
  pid_t bg = read_pid("bg.pid");
  ASSERT_GT(bg, 0);
  EXPECT_TRUE(runner.terminate(r.pid, 10s));
  ASSERT_TRUE(exits.wait_for(1));
  EXPECT_TRUE(exits.got[0].terminated);
  EXPECT_EQ(exits.got[0].exit_code, 128 + SIGTERM);
  EXPECT_TRUE(testing::process_gone(bg));
  EXPECT_FALSE(runner.terminate(r.pid, 10s));  // no longer running
}

TEST_F(ProcessRunnerTest, TerminateEscalatesToKillWhenTermIsIgnored) {
  ProcessRunner runner;
  Exits exits;
  auto r = runner.start(shell("trap '' TERM; echo $$ > ready.pid; sleep 100"), std::nullopt,
                        exits.callback());
  ASSERT_GT(r.pid, 0);
  ASSERT_GT(read_pid("ready.pid"), 0);  // the trap is in place
  EXPECT_TRUE(runner.terminate(r.pid, 200ms));
  ASSERT_TRUE(exits.wait_for(1));
  EXPECT_TRUE(exits.got[0].terminated);
  EXPECT_EQ(exits.got[0].exit_code, 128 + SIGKILL);
}

TEST_F(ProcessRunnerTest, LeftoverProcessesDieWhenTheLeaderExits) {
  ProcessRunner runner;
  Exits exits;
  auto r = runner.start(shell("sleep 100 & echo $! > bg.pid"), std::nullopt, exits.callback());
  ASSERT_GT(r.pid, 0);
  ASSERT_TRUE(exits.wait_for(1));
  EXPECT_EQ(exits.got[0].exit_code, 0);
  pid_t bg = read_pid("bg.pid");
  ASSERT_GT(bg, 0);
  EXPECT_TRUE(testing::process_gone(bg));
}

TEST_F(ProcessRunnerTest, SpawnFailureIsReportedAndNothingIsWatched) {
  ProcessRunner runner;
  Exits exits;
  auto req = shell("true");
  req.cwd = dir / "missing";
  auto r = runner.start(req, std::nullopt, exits.callback());
  EXPECT_LE(r.pid, 0);
  EXPECT_EQ(r.what, "chdir");
  EXPECT_EQ(r.error, ENOENT);
  EXPECT_EQ(runner.running(), 0u);
}

TEST_F(ProcessRunnerTest, KillWithParentFiresWhenTheSpawningThreadEnds) {
  // PR_SET_PDEATHSIG follows the spawning thread; a thread that ends stands in
  // for a server killed with -9.
  SpawnResult r;
  std::thread spawner([&] {
    auto req = shell("exec sleep 100");
    req.kill_with_parent = true;
    r = spawn_process(req);
  });
  spawner.join();
  ASSERT_GT(r.pid, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(r.pid, &status, 0), r.pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST_F(ProcessRunnerTest, ManyProcessesEachExitOnceAndNoZombieRemains) {
  Exits exits;
  {
    ProcessRunner runner;
    const int n = 64;
    for (int i = 0; i < n; ++i) {
      auto r = runner.start(shell("exit " + std::to_string(i % 7)), std::nullopt, exits.callback());
      ASSERT_GT(r.pid, 0);
    }
    ASSERT_TRUE(exits.wait_for(n));
    std::vector<int> codes(7);
    for (const auto& e : exits.got) codes[size_t(e.exit_code)]++;
    int total = 0;
    for (int c : codes) total += c;
    EXPECT_EQ(total, n);
    EXPECT_EQ(exits.got.size(), size_t(n));
  }
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST_F(ProcessRunnerTest, DestructorKillsAndReportsWhatStillRuns) {
  Exits exits;
  {
    ProcessRunner runner;
    auto r = runner.start(shell("sleep 100"), std::nullopt, exits.callback());
    ASSERT_GT(r.pid, 0);
  }
  ASSERT_EQ(exits.got.size(), 1u);
  EXPECT_TRUE(exits.got[0].terminated);
}

}  // namespace
}  // namespace kiln::node
