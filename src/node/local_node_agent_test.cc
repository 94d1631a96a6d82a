#include "node/local_node_agent.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>

#include "core/http_server.h"
#include "node/test_support.h"

namespace kiln::node {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

// Records one run's callbacks and checks their contract as they arrive.
struct Recorder {
  std::mutex mu;
  std::condition_variable cv;
  int running = 0;
  int completed = 0;
  bool complete_before_running = false;
  TaskOutcome outcome;

  TaskCallbacks callbacks() {
    TaskCallbacks cb;
    cb.on_running = [this] {
      std::lock_guard lock(mu);
      ++running;
      if (completed) complete_before_running = true;
      cv.notify_all();
    };
    cb.on_complete = [this](const TaskOutcome& o) {
      std::lock_guard lock(mu);
      ++completed;
      outcome = o;
      cv.notify_all();
    };
    return cb;
  }
  bool wait_running(std::chrono::milliseconds t = 20s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, t, [&] { return running > 0 || completed > 0; });
  }
  bool wait_complete(std::chrono::milliseconds t = 20s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, t, [&] { return completed > 0; });
  }
};

class LocalNodeAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NodeConfig c;
    c.account_name = "devstoreaccount1";
    c.account_url = "http://127.0.0.1:10100";
    c.pool_id = "pool1";
    c.node_id = "tvmps_node1";
    c.dedicated = true;
    c.root_dir = dir / "nodes/tvmps_node1";
    agent = make_local_node_agent(c);
  }
  static TaskSpec task(const std::string& job, const std::string& id, const std::string& cmd) {
    TaskSpec s;
    s.job_id = job;
    s.task_id = id;
    s.command_line = cmd;
    return s;
  }
  std::string task_path(const std::string& job, const std::string& id, const std::string& file) {
    return agent->config().root_dir + "/" + agent->task_dir(job, id) + "/" + file;
  }
  std::string root() {
    char buf[PATH_MAX];
    return ::realpath(agent->config().root_dir.c_str(), buf);
  }

  TempDir dir;
  std::unique_ptr<NodeAgent> agent;
};

TEST_F(LocalNodeAgentTest, RunsATaskInItsDirectoryWithTheBatchEnvironment) {
  Recorder rec;
  auto spec = task("job1", "task1",
                   "pwd; env | grep ^AZ_BATCH_ | sort; echo \"setting=$MY_SETTING\"; echo oops >&2");
  spec.environment["MY_SETTING"] = "value with spaces";
  agent->run(spec, rec.callbacks());
  ASSERT_TRUE(rec.wait_complete());
  EXPECT_EQ(rec.running, 1);
  EXPECT_FALSE(rec.complete_before_running);
  ASSERT_TRUE(rec.outcome.exit_code);
  EXPECT_EQ(*rec.outcome.exit_code, 0);
  EXPECT_EQ(rec.outcome.failure_code, "");
  EXPECT_GT(rec.outcome.start_time_us, 0);
  EXPECT_GE(rec.outcome.end_time_us, rec.outcome.start_time_us);

  EXPECT_EQ(agent->task_dir("job1", "task1"), "workitems/job1/job-1/task1");
  const std::string r = root();
  const std::string tdir = r + "/workitems/job1/job-1/task1";
  std::string out = testing::slurp(task_path("job1", "task1", "stdout.txt"));
  EXPECT_EQ(out.substr(0, out.find('\n')), tdir + "/wd");
  for (const std::string& line : std::vector<std::string>{
           "AZ_BATCH_ACCOUNT_NAME=devstoreaccount1", "AZ_BATCH_ACCOUNT_URL=http://127.0.0.1:10100",
        "AZ_BATCH_POOL_ID=pool1", "AZ_BATCH_NODE_ID=tvmps_node1", "AZ_BATCH_JOB_ID=job1",
        "AZ_BATCH_TASK_ID=task1", "AZ_BATCH_NODE_IS_DEDICATED=true",
        "AZ_BATCH_NODE_ROOT_DIR=" + r, "AZ_BATCH_NODE_SHARED_DIR=" + r + "/shared",
        "AZ_BATCH_NODE_STARTUP_DIR=" + r + "/startup", "AZ_BATCH_TASK_DIR=" + tdir,
        "AZ_BATCH_TASK_WORKING_DIR=" + tdir + "/wd", "AZ_BATCH_NODE_MOUNTS_DIR=" + r + "/fsmounts",
        "AZ_BATCH_CERTIFICATES_DIR=" + tdir + "/certs", "AZ_BATCH_TASK_USER_IDENTITY=TaskNonAdmin",
        "setting=value with spaces"}) {
    EXPECT_NE(out.find(line + "\n"), std::string::npos) << line << "\n" << out;
  }
  EXPECT_EQ(testing::slurp(task_path("job1", "task1", "stderr.txt")), "oops\n");
  for (const char* d : {"shared", "startup", "workitems", "applications", "fsmounts", "volatile"}) {
    struct stat st;
    EXPECT_EQ(::stat((r + "/" + d).c_str(), &st), 0) << d;
  }
}

TEST_F(LocalNodeAgentTest, StartTaskRunsInStartupWithoutJobOrTaskIds) {
  Recorder rec;
  TaskSpec spec;
  spec.kind = TaskSpec::Kind::kStartTask;
  spec.command_line = "pwd; echo \"job=${AZ_BATCH_JOB_ID-unset} task=${AZ_BATCH_TASK_ID-unset}\"";
  spec.user.elevated = true;
  spec.user.pool_scope = true;
  agent->run(spec, rec.callbacks());
  ASSERT_TRUE(rec.wait_complete());
  EXPECT_EQ(agent->task_dir("", ""), "startup");
  EXPECT_EQ(testing::slurp(task_path("", "", "stdout.txt")),
            root() + "/startup/wd\njob=unset task=unset\n");
}

TEST_F(LocalNodeAgentTest, NonZeroExitIsAFailureExitCode) {
  Recorder rec;
  agent->run(task("j", "t", "exit 3"), rec.callbacks());
  ASSERT_TRUE(rec.wait_complete());
  ASSERT_TRUE(rec.outcome.exit_code);
  EXPECT_EQ(*rec.outcome.exit_code, 3);
  EXPECT_EQ(rec.outcome.failure_category, "UserError");
  EXPECT_EQ(rec.outcome.failure_code, "FailureExitCode");
  EXPECT_FALSE(rec.outcome.timed_out);
  EXPECT_FALSE(rec.outcome.terminated);
}

TEST_F(LocalNodeAgentTest, PlainCommandsBehaveExactlyAsUnderTheShell) {
  Recorder echo, missing, script;
  agent->run(task("j", "echo", "/bin/echo plain   words"), echo.callbacks());
  agent->run(task("j", "missing", "/no/such/program --flag"), missing.callbacks());
  // A script without a #! line: execve refuses it, the shell runs it.
  auto spec = task("j", "script", "./script.sh arg");
  agent->run(spec, script.callbacks());  // first run only creates the directory
  ASSERT_TRUE(script.wait_complete());
  testing::write_text(task_path("j", "script", "wd/script.sh"), "echo \"script got $1\"\n");
  ::chmod(task_path("j", "script", "wd/script.sh").c_str(), 0755);
  Recorder script2;
  agent->run(spec, script2.callbacks());
  ASSERT_TRUE(echo.wait_complete());
  ASSERT_TRUE(missing.wait_complete());
  ASSERT_TRUE(script2.wait_complete());
  EXPECT_EQ(testing::slurp(task_path("j", "echo", "stdout.txt")), "plain words\n");
  ASSERT_TRUE(missing.outcome.exit_code);
  EXPECT_EQ(*missing.outcome.exit_code, 127);
  EXPECT_NE(testing::slurp(task_path("j", "missing", "stderr.txt")).find("not found"),
            std::string::npos);
  ASSERT_TRUE(script2.outcome.exit_code);
  EXPECT_EQ(*script2.outcome.exit_code, 0);
  EXPECT_NE(testing::slurp(task_path("j", "script", "stdout.txt")).find("script got arg\n"),
            std::string::npos);
}

TEST_F(LocalNodeAgentTest, WallClockLimitKillsTheWholeTree) {
  Recorder rec;
  auto spec = task("j", "slow", "sleep 100 & echo $! > bg.pid; sleep 100");
  spec.max_wall_clock_ms = 300;
  agent->run(spec, rec.callbacks());
  ASSERT_TRUE(rec.wait_complete());
  EXPECT_TRUE(rec.outcome.timed_out);
  EXPECT_FALSE(rec.outcome.terminated);
  EXPECT_EQ(rec.outcome.failure_category, "UserError");
  EXPECT_EQ(rec.outcome.failure_code, "TaskEnded");
  ASSERT_TRUE(rec.outcome.exit_code);
  EXPECT_EQ(*rec.outcome.exit_code, 128 + SIGKILL);
  std::string bg = testing::slurp(task_path("j", "slow", "wd/bg.pid"));
  ASSERT_FALSE(bg.empty());
  EXPECT_TRUE(testing::process_gone(std::stoi(bg)));
}

TEST_F(LocalNodeAgentTest, TerminateStopsARunningTask) {
  Recorder rec;
  agent->run(task("j", "t", "sleep 100"), rec.callbacks());
  ASSERT_TRUE(rec.wait_running());
  agent->terminate("j", "other");  // a different task: no effect
  agent->terminate("j", "t");
  ASSERT_TRUE(rec.wait_complete());
  EXPECT_TRUE(rec.outcome.terminated);
  EXPECT_EQ(rec.outcome.failure_code, "TaskEnded");
  EXPECT_EQ(rec.running, 1);
  agent->terminate("j", "t");  // no longer running: a no-op
}

TEST_F(LocalNodeAgentTest, TerminateRightAfterRunStillCompletesOnce) {
  Recorder rec;
  agent->run(task("j", "t", "sleep 100"), rec.callbacks());
  agent->terminate("j", "t");
  ASSERT_TRUE(rec.wait_complete());
  EXPECT_TRUE(rec.outcome.terminated);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(rec.completed, 1);
}

TEST_F(LocalNodeAgentTest, ResourceFilesArriveBeforeTheCommandAndFailuresHaveNoExitCode) {
  http::HttpServer server({}, [](http::Request& req, http::Response& res) {
    if (req.path == "/c/input.txt") {
      res.body = "the input\n";
    } else {
      res.status = 404;
    }
  });
  server.start();
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());

  Recorder ok;
  auto spec = task("j", "reads", "cat data/input.txt");
  ResourceFile rf;
  rf.http_url = base + "/c/input.txt?sig=x";
  rf.file_path = "data/input.txt";
  spec.resource_files.push_back(rf);
  agent->run(spec, ok.callbacks());
  ASSERT_TRUE(ok.wait_complete());
  ASSERT_TRUE(ok.outcome.exit_code);
  EXPECT_EQ(*ok.outcome.exit_code, 0);
  EXPECT_EQ(testing::slurp(task_path("j", "reads", "stdout.txt")), "the input\n");

  Recorder bad;
  spec.task_id = "missing";
  spec.resource_files[0].http_url = base + "/c/missing.txt";
  agent->run(spec, bad.callbacks());
  ASSERT_TRUE(bad.wait_complete());
  EXPECT_EQ(bad.running, 0);
  EXPECT_FALSE(bad.outcome.exit_code);
  EXPECT_EQ(bad.outcome.failure_category, "UserError");
  EXPECT_EQ(bad.outcome.failure_code, "BlobNotFound");
  server.stop();
}

TEST_F(LocalNodeAgentTest, TerminateDuringResourceDownloadsStopsBeforeTheCommand) {
  std::atomic<int> second_requests{0};
  http::HttpServer server({}, [&](http::Request& req, http::Response& res) {
    if (req.path == "/first") {
      agent->terminate("j", "t");  // arrives while the task is still preparing
      res.body = "first";
    } else {
      ++second_requests;
      res.body = "second";
    }
  });
  server.start();
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  Recorder rec;
  auto spec = task("j", "t", "touch ran");
  for (const char* name : {"first", "second"}) {
    ResourceFile rf;
    rf.http_url = base + "/" + name;
    rf.file_path = name;
    spec.resource_files.push_back(rf);
  }
  agent->run(spec, rec.callbacks());
  ASSERT_TRUE(rec.wait_complete());
  EXPECT_TRUE(rec.outcome.terminated);
  EXPECT_FALSE(rec.outcome.exit_code);
  EXPECT_EQ(rec.running, 0);
  EXPECT_EQ(second_requests.load(), 0);
  struct stat st;
  EXPECT_NE(::stat(task_path("j", "t", "wd/ran").c_str(), &st), 0);
  server.stop();
}

TEST_F(LocalNodeAgentTest, NonAdminTasksDoNotRunAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch users";
  Recorder admin, user;
  auto spec = task("j", "admin", "id -u");
  spec.user.elevated = true;
  agent->run(spec, admin.callbacks());
  spec = task("j", "user", "id -u; echo shared > $AZ_BATCH_NODE_SHARED_DIR/from-task.txt && touch mine");
  agent->run(spec, user.callbacks());
  ASSERT_TRUE(admin.wait_complete());
  ASSERT_TRUE(user.wait_complete());
  EXPECT_EQ(testing::slurp(task_path("j", "admin", "stdout.txt")), "0\n");
  std::string uid = testing::slurp(task_path("j", "user", "stdout.txt"));
  ASSERT_FALSE(uid.empty());
  EXPECT_NE(std::stoi(uid), 0);
  ASSERT_TRUE(user.outcome.exit_code);
  EXPECT_EQ(*user.outcome.exit_code, 0) << testing::slurp(task_path("j", "user", "stderr.txt"));
  struct stat st;
  ASSERT_EQ(::stat(task_path("j", "user", "wd").c_str(), &st), 0);
  EXPECT_EQ(int(st.st_uid), std::stoi(uid));
  ASSERT_EQ(::stat(task_path("j", "user", "stdout.txt").c_str(), &st), 0);
  EXPECT_EQ(int(st.st_uid), std::stoi(uid));
}

TEST_F(LocalNodeAgentTest, NonAdminTasksCanUseWhatAnAdminStartTaskCopiedToShared) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch users";
  // The tutorial's pattern: an admin start task downloads a script (default
  // mode 0770) and `cp -p`s it to the shared directory; non-admin tasks run it.
  http::HttpServer server({}, [](http::Request&, http::Response& res) { res.body = "echo ran as $(id -u)\n"; });
  server.start();
  Recorder start, user;
  TaskSpec st;
  st.kind = TaskSpec::Kind::kStartTask;
  st.user.elevated = true;
  st.user.pool_scope = true;
  st.command_line = "/bin/bash -c \"cp -p script.sh $AZ_BATCH_NODE_SHARED_DIR\"";
  ResourceFile rf;
  rf.http_url = "http://127.0.0.1:" + std::to_string(server.port()) + "/script.sh";
  rf.file_path = "script.sh";
  st.resource_files.push_back(rf);
  agent->run(st, start.callbacks());
  ASSERT_TRUE(start.wait_complete());
  ASSERT_TRUE(start.outcome.exit_code);
  ASSERT_EQ(*start.outcome.exit_code, 0) << testing::slurp(task_path("", "", "stderr.txt"));
  agent->run(task("j", "t", "/bin/sh -c \"sh $AZ_BATCH_NODE_SHARED_DIR/script.sh\""),
             user.callbacks());
  ASSERT_TRUE(user.wait_complete());
  ASSERT_TRUE(user.outcome.exit_code);
  EXPECT_EQ(*user.outcome.exit_code, 0) << testing::slurp(task_path("j", "t", "stderr.txt"));
  std::string out = testing::slurp(task_path("j", "t", "stdout.txt"));
  EXPECT_EQ(out.rfind("ran as ", 0), 0u) << out;
  EXPECT_NE(out, "ran as 0\n");
  server.stop();
}

TEST_F(LocalNodeAgentTest, TasksRunInTheNodesCgroupWhereTheHostAllows) {
  NodeConfig c = agent->config();
  c.node_id = "limited";
  c.root_dir = dir / "nodes/limited";
  c.cores = 1;
  c.memory_bytes = 512ll << 20;
  auto limited = make_local_node_agent(c);
  auto cg = NodeCgroup::create("kiln-probe-" + std::to_string(::getpid()), 1, 1 << 20);
  if (!cg) GTEST_SKIP() << "this host offers no writable cgroups";
  cg.reset();
  Recorder rec;
  limited->run(task("j", "t",
                    "cat /proc/self/cgroup; "
                    "cat /sys/fs/cgroup/memory$(grep :memory: /proc/self/cgroup | cut -d: -f3)"
                    "/memory.limit_in_bytes /sys/fs/cgroup$(grep ^0:: /proc/self/cgroup | cut -d: -f3)"
                    "/memory.max 2>/dev/null"),
               rec.callbacks());
  ASSERT_TRUE(rec.wait_complete());
  std::string groups = testing::slurp(c.root_dir + "/" + limited->task_dir("j", "t") + "/stdout.txt");
  std::string name = "kiln-" + std::to_string(::getpid()) + "-pool1-limited";
  EXPECT_NE(groups.find(name), std::string::npos) << groups;
  EXPECT_NE(groups.find(std::to_string(512ll << 20) + "\n"), std::string::npos) << groups;
  // Only the agent's launcher thread may have joined (cgroup v1), never the whole server.
  std::string own = testing::slurp("/proc/self/cgroup");
  EXPECT_EQ(own.find(name), std::string::npos) << own;
}

// The service starts the next task from a finished task's callback (on the
// agent's own thread, where the agent launches it directly): a long chain,
// including tasks that fail before they start, completes each task once.
TEST_F(LocalNodeAgentTest, TasksStartedFromCompletionCallbacksEachCompleteOnce) {
  const int n = 300;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> completions(n, 0), exit_codes(n, -1);
  int done = 0;
  std::function<void(int)> start = [&](int i) {
    // Every third id cannot name a directory: that attempt fails inside run().
    std::string id = i % 3 == 0 ? "../bad" + std::to_string(i) : "c" + std::to_string(i);
    TaskCallbacks cb;
    cb.on_complete = [&, i](const TaskOutcome& o) {
      if (i + 1 < n) start(i + 1);
      std::lock_guard lock(mu);
      ++completions[i];
      exit_codes[i] = o.exit_code.value_or(-1);
      ++done;
      cv.notify_all();
    };
    agent->run(task("chain", id, i % 2 ? "true" : "exit 3"), std::move(cb));
  };
  start(0);
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, 60s, [&] { return done == n; })) << done;
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(completions[i], 1) << i;
    EXPECT_EQ(exit_codes[i], i % 3 == 0 ? -1 : (i % 2 ? 0 : 3)) << i;
  }
}

TEST_F(LocalNodeAgentTest, InvalidIdsNeverNameAPath) {
  Recorder rec;
  agent->run(task("j", "../../escape", "true"), rec.callbacks());
  ASSERT_TRUE(rec.wait_complete());
  EXPECT_FALSE(rec.outcome.exit_code);
  EXPECT_EQ(rec.outcome.failure_category, "ServerError");
  EXPECT_EQ(agent->task_dir("j", "../x"), "");
}

TEST_F(LocalNodeAgentTest, ManyTasksEachCompleteExactlyOnce) {
  const int n = 40;
  std::vector<std::unique_ptr<Recorder>> recs;
  for (int i = 0; i < n; ++i) {
    recs.push_back(std::make_unique<Recorder>());
    agent->run(task("many", "t" + std::to_string(i), i % 2 ? "true" : "exit 1"),
               recs.back()->callbacks());
  }
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(recs[i]->wait_complete()) << i;
    ASSERT_TRUE(recs[i]->outcome.exit_code);
    EXPECT_EQ(*recs[i]->outcome.exit_code, i % 2 ? 0 : 1);
    EXPECT_EQ(recs[i]->running, 1);
    EXPECT_FALSE(recs[i]->complete_before_running);
  }
  std::this_thread::sleep_for(50ms);
  for (auto& r : recs) EXPECT_EQ(r->completed, 1);
}

TEST_F(LocalNodeAgentTest, DestroyingTheAgentCompletesWhatRuns) {
  Recorder rec;
  agent->run(task("j", "t", "sleep 100"), rec.callbacks());
  ASSERT_TRUE(rec.wait_running());
  agent.reset();
  EXPECT_EQ(rec.completed, 1);
  EXPECT_TRUE(rec.outcome.terminated);
}

TEST_F(LocalNodeAgentTest, TheAgentMayBeDestroyedFromItsOwnCallbacks) {
  std::mutex mu;
  std::condition_variable cv;
  int completions = 0;
  TaskCallbacks cb;
  cb.on_complete = [&](const TaskOutcome&) {
    std::lock_guard lock(mu);
    if (++completions == 1) agent.reset();  // the last reference, on the reaper thread
    cv.notify_all();
  };
  agent->run(task("j", "first", "true"), cb);
  agent->run(task("j", "second", "sleep 100"), cb);
  std::unique_lock lock(mu);
  // The second run is killed by the shutdown and still reports.
  ASSERT_TRUE(cv.wait_for(lock, 20s, [&] { return completions == 2; }));
}

TEST_F(LocalNodeAgentTest, ANewAgentKillsTasksAPreviousServerLeftRunning) {
  // A background process of a task that outlived its server (as after kill -9).
  Recorder rec;
  agent->run(task("j", "t",
                  "setsid sh -c 'echo $$ > bg.tmp; mv bg.tmp bg.pid; exec sleep 100' >/dev/null 2>&1 &"
                  " while [ ! -s bg.pid ]; do sleep 0.01; done"),
             rec.callbacks());
  ASSERT_TRUE(rec.wait_complete());
  std::string bg = testing::slurp(task_path("j", "t", "wd/bg.pid"));
  ASSERT_FALSE(bg.empty());
  pid_t pid = std::stoi(bg);
  // setsid took it out of the task's process group: it survived the task.
  ASSERT_FALSE(testing::process_gone(pid, std::chrono::milliseconds(100)));
  NodeConfig config = agent->config();
  agent.reset();
  ASSERT_FALSE(testing::process_gone(pid, std::chrono::milliseconds(100)));
  agent = make_local_node_agent(config);  // "the server restarted"
  EXPECT_TRUE(testing::process_gone(pid));
}

TEST_F(LocalNodeAgentTest, FilesApiSeesTaskFilesAndNothingOutside) {
  Recorder rec;
  agent->run(task("j", "t", "echo hi; mkdir out; echo data > out/result.txt"), rec.callbacks());
  ASSERT_TRUE(rec.wait_complete());
  const std::string tdir = agent->task_dir("j", "t");
  std::vector<FileInfo> files;
  ASSERT_TRUE(agent->list_files(tdir, true, files));
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"stderr.txt", "stdout.txt", "wd", "wd/out",
                                             "wd/out/result.txt"}));
  FileInfo info;
  ASSERT_TRUE(agent->stat_file(tdir + "/stdout.txt", info));
  EXPECT_EQ(info.size, 3u);
  int fd = agent->open_file(tdir + "/wd/out/result.txt");
  ASSERT_GE(fd, 0);
  ::close(fd);
  EXPECT_LT(agent->open_file("../../../../etc/passwd"), 0);
  EXPECT_LT(agent->open_file("/etc/passwd"), 0);
  EXPECT_FALSE(agent->list_files("..", false, files));
  EXPECT_TRUE(agent->delete_file(tdir + "/wd/out/result.txt", false));
  EXPECT_FALSE(agent->stat_file(tdir + "/wd/out/result.txt", info));
  agent->remove_task_dir("j", "t");
  EXPECT_FALSE(agent->stat_file(tdir, info));
  EXPECT_TRUE(agent->stat_file("workitems/j/job-1", info));
}

}  // namespace
}  // namespace kiln::node
