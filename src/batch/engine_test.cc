// Engine tests with a fake NodeAgent: scheduling, state machines, retries,
// slots, and recovery of a persisted store.
#include "batch/engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

namespace kiln::batch {
namespace {

// Completes every attempt at once with the exit code written as "exit N"
// (0 otherwise) and "cpu N" microseconds of user CPU time; with `hold`,
// attempts run until terminated. Removed task directories are reported.
class FakeAgent : public node::NodeAgent {
 public:
  FakeAgent(node::NodeConfig c, std::atomic<bool>* hold, std::function<void(const std::string&)> on_remove = {})
      : config_(std::move(c)), hold_(hold), on_remove_(std::move(on_remove)) {}
  const node::NodeConfig& config() const override { return config_; }
  void run(const node::TaskSpec& spec, node::TaskCallbacks cb) override {
    cb.on_running();
    if (hold_ && *hold_) {
      std::lock_guard lk(mu_);
      held_.push_back({spec, std::move(cb)});
      return;
    }
    node::TaskOutcome o;
    auto pos = spec.command_line.find("exit ");
    o.exit_code = pos == std::string::npos ? 0 : std::stoi(spec.command_line.substr(pos + 5));
    if (auto cpu = spec.command_line.find("cpu "); cpu != std::string::npos)
      o.usage.user_cpu_us = std::stoll(spec.command_line.substr(cpu + 4));
    o.usage.write_ops = 1;
    cb.on_complete(o);
  }
  void terminate(const std::string& job, const std::string& task) override {
    std::vector<node::TaskCallbacks> done;
    {
      std::lock_guard lk(mu_);
      for (auto it = held_.begin(); it != held_.end();)
        if (it->first.job_id == job && it->first.task_id == task) {
          done.push_back(std::move(it->second));
          it = held_.erase(it);
        } else {
          ++it;
        }
    }
    for (auto& cb : done) {
      node::TaskOutcome o;
      o.terminated = true;
      cb.on_complete(o);
    }
  }
  void terminate_all() override {
    std::lock_guard lk(mu_);
    held_.clear();
  }
  std::string task_dir(const std::string& j, const std::string& t) const override {
    return j.empty() ? "startup" : "workitems/" + j + "/job-1/" + t;
  }
  void remove_task_dir(const std::string& job, const std::string& task) override {
    if (on_remove_) on_remove_(job + "/" + task);
  }
  bool list_files(const std::string&, bool, std::vector<node::FileInfo>&) const override { return false; }
  bool stat_file(const std::string&, node::FileInfo&) const override { return false; }
  int open_file(const std::string&) const override { return -1; }
  bool delete_file(const std::string&, bool) override { return false; }

 private:
  node::NodeConfig config_;
  std::atomic<bool>* hold_;
  std::function<void(const std::string&)> on_remove_;
  std::mutex mu_;
  std::vector<std::pair<node::TaskSpec, node::TaskCallbacks>> held_;
};

struct Harness {
  std::string dir;
  std::atomic<bool> hold{false};
  std::unique_ptr<Engine> engine;
  std::mutex removed_mu;
  std::vector<std::string> removed;  // task directories removed, "job/task"

  explicit Harness(const std::string& db = ":memory:") {
    dir = std::filesystem::temp_directory_path() / ("kiln-batch-test-" + std::to_string(getpid()));
    open(db);
  }
  void open(const std::string& db) {
    EngineOptions o;
    o.account_name = "acct";
    o.account_url = "http://127.0.0.1:1";
    o.nodes_dir = dir;
    o.node_factory = [this](node::NodeConfig c) {
      return std::make_unique<FakeAgent>(std::move(c), &hold, [this](const std::string& dir) {
        std::lock_guard lk(removed_mu);
        removed.push_back(dir);
      });
    };
    engine = std::make_unique<Engine>(std::move(o), make_sqlite_store(db));
    engine->start();
  }
  template <typename F>
  void wait(F pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!pred()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "timed out";
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  void add_pool(const std::string& id, int nodes, int slots, const char* fill = "spread") {
    engine->add_pool({{"id", id},
                      {"vmSize", "standard_d2s_v3"},
                      {"virtualMachineConfiguration", {{"imageReference", Json::object()}, {"nodeAgentSKUId", "batch.node.ubuntu 22.04"}}},
                      {"targetDedicatedNodes", nodes},
                      {"taskSlotsPerNode", slots},
                      {"taskSchedulingPolicy", {{"nodeFillType", fill}}}});
    wait([&] {
      auto list = engine->list_nodes(id);
      return int(list.size()) == nodes &&
             std::all_of(list.begin(), list.end(), [](const Json& n) { return n["state"] == "idle"; });
    });
  }
  std::string task_state(const std::string& job, const std::string& task) {
    return engine->get_task(job, task)["state"];
  }
  std::vector<std::string> removed_dirs() {
    std::lock_guard lk(removed_mu);
    return removed;
  }
};

std::filesystem::path temp_db(const std::string& name) {
  auto db = std::filesystem::temp_directory_path() / ("kiln-batch-" + name + "-" + std::to_string(getpid()) + ".db");
  std::filesystem::remove(db);
  return db;
}

TEST(Engine, RunsTasksToCompletion) {
  Harness h;
  h.add_pool("p", 2, 2);
  h.engine->add_job({{"id", "j"}, {"poolInfo", {{"poolId", "P"}}}});
  std::vector<Json> specs;
  for (int i = 0; i < 10; ++i) specs.push_back({{"id", "t" + std::to_string(i)}, {"commandLine", "true"}});
  auto results = h.engine->add_tasks("j", specs);
  ASSERT_EQ(results.size(), 10u);
  h.wait([&] { return h.engine->task_counts("j")["taskCounts"]["completed"] == 10; });
  Json t = h.engine->get_task("J", "T3");
  EXPECT_EQ(t["executionInfo"]["exitCode"], 0);
  EXPECT_EQ(t["executionInfo"]["result"], "success");
  EXPECT_EQ(t["nodeInfo"]["poolId"], "p");
  EXPECT_EQ(h.engine->task_counts("j")["taskCounts"]["succeeded"], 10);
  // Duplicate ids are reported per task.
  auto dup = h.engine->add_tasks("j", {{{"id", "T1"}, {"commandLine", "true"}}});
  ASSERT_TRUE(dup[0].error);
  EXPECT_EQ(dup[0].error->code, "TaskExists");
}

TEST(Engine, RetriesUpToMaxTaskRetryCount) {
  Harness h;
  h.add_pool("p", 1, 1);
  h.engine->add_job({{"id", "j"}, {"poolInfo", {{"poolId", "p"}}}, {"constraints", {{"maxTaskRetryCount", 2}}}});
  h.engine->add_tasks("j", {{{"id", "bad"}, {"commandLine", "exit 4"}}});
  h.wait([&] { return h.task_state("j", "bad") == "completed"; });
  Json ex = h.engine->get_task("j", "bad")["executionInfo"];
  EXPECT_EQ(ex["retryCount"], 2);
  EXPECT_EQ(ex["exitCode"], 4);
  EXPECT_EQ(ex["failureInfo"]["code"], "FailureExitCode");
  EXPECT_EQ(h.engine->task_counts("j")["taskCounts"]["failed"], 1);
}

TEST(Engine, SlotsLimitConcurrencyAndTerminateEndsTask) {
  Harness h;
  h.hold = true;
  h.add_pool("p", 1, 2, "pack");
  h.engine->add_job({{"id", "j"}, {"poolInfo", {{"poolId", "p"}}}});
  h.engine->add_tasks("j", {{{"id", "a"}, {"commandLine", "x"}},
                            {{"id", "wide"}, {"commandLine", "x"}, {"requiredSlots", 2}},
                            {{"id", "b"}, {"commandLine", "x"}}});
  h.wait([&] { return h.task_state("j", "a") == "running"; });
  // "wide" needs both slots: it waits (in order) while "a" holds one.
  EXPECT_EQ(h.task_state("j", "wide"), "active");
  EXPECT_EQ(h.engine->task_counts("j")["taskSlotCounts"]["running"], 1);
  h.engine->terminate_task("j", "a", {});
  EXPECT_EQ(h.task_state("j", "a"), "completed");
  EXPECT_EQ(h.engine->get_task("j", "a")["executionInfo"]["failureInfo"]["code"], "TaskEnded");
  h.wait([&] { return h.task_state("j", "wide") == "running"; });
  EXPECT_EQ(h.engine->task_counts("j")["taskSlotCounts"]["running"], 2);
  EXPECT_EQ(h.engine->list_nodes("p")[0]["runningTaskSlotsCount"], 2);
}

TEST(Engine, RecoveryRequeuesRunningTasks) {
  auto db = std::filesystem::temp_directory_path() / ("kiln-batch-recovery-" + std::to_string(getpid()) + ".db");
  std::filesystem::remove(db);
  {
    Harness h(db);
    h.hold = true;
    h.add_pool("p", 1, 1);
    h.engine->add_job({{"id", "j"}, {"poolInfo", {{"poolId", "p"}}}});
    h.engine->add_tasks("j", {{{"id", "t"}, {"commandLine", "x"}}, {{"id", "u"}, {"commandLine", "x"}}});
    h.wait([&] { return h.task_state("j", "t") == "running"; });
    h.engine->stop();  // as if the server died: "t" stays running in the store
  }
  Harness h(db);
  h.wait([&] { return h.engine->task_counts("j")["taskCounts"]["completed"] == 2; });
  EXPECT_EQ(h.engine->get_task("j", "t")["executionInfo"]["requeueCount"], 1);
  EXPECT_EQ(h.engine->get_task("j", "u")["executionInfo"]["requeueCount"], 0);
  EXPECT_EQ(h.engine->list_nodes("p").size(), 1u);
  std::filesystem::remove(db);
}

TEST(Engine, PoolErrorsAndDeletion) {
  Harness h;
  h.add_pool("p", 1, 1);
  try {
    h.add_pool("P", 1, 1);
    FAIL();
  } catch (const BatchError& e) {
    EXPECT_EQ(e.code, "PoolExists");
  }
  h.engine->delete_pool("p", {});
  h.wait([&] {
    try {
      h.engine->get_pool("p");
      return false;
    } catch (const BatchError& e) {
      return e.code == "PoolNotFound";
    }
  });
}

TEST(Engine, ConditionsUseETags) {
  Json doc = {{"eTag", "0x1"}, {"lastModified", "2024-01-01T00:00:00Z"}};
  Conditions c;
  c.if_match = "0x2";
  EXPECT_THROW(check_conditions(doc, c, false), BatchError);
  c.if_match = "\"0x1\"";
  EXPECT_NO_THROW(check_conditions(doc, c, false));
  Conditions n;
  n.if_none_match = "0x1";
  try {
    check_conditions(doc, n, true);
    FAIL();
  } catch (const BatchError& e) {
    EXPECT_EQ(e.status, 304);
  }
}

TEST(Engine, StatisticsAccumulateFromAttemptsAndSurviveARestart) {
  auto db = temp_db("stats");
  Json job_before, lifetime_before;
  {
    Harness h(db);
    h.add_pool("p", 1, 1);
    h.engine->add_job({{"id", "j"}, {"poolInfo", {{"poolId", "p"}}}, {"constraints", {{"maxTaskRetryCount", 1}}}});
    h.engine->add_tasks("j", {{{"id", "ok"}, {"commandLine", "cpu 1500000"}},
                              {{"id", "bad"}, {"commandLine", "cpu 250000; exit 3"}}});
    h.wait([&] { return h.engine->task_counts("j")["taskCounts"]["completed"] == 2; });
    EXPECT_FALSE(h.engine->get_task("j", "ok").contains("stats"));
    Json ok = h.engine->get_task("j", "ok", true)["stats"];
    EXPECT_EQ(ok["userCPUTime"], "PT1.500000S");
    EXPECT_EQ(ok["writeIOps"], 1);
    EXPECT_EQ(h.engine->get_task("j", "bad", true)["stats"]["userCPUTime"], "PT0.500000S");  // both attempts
    job_before = h.engine->get_job("j", true)["stats"];
    EXPECT_EQ(job_before["userCPUTime"], "PT2S");
    EXPECT_EQ(job_before["numSucceededTasks"], 1);
    EXPECT_EQ(job_before["numFailedTasks"], 1);
    EXPECT_EQ(job_before["numTaskRetries"], 1);
    EXPECT_EQ(job_before["writeIOps"], 3);
    lifetime_before = h.engine->lifetime_job_stats();
    EXPECT_EQ(h.engine->get_pool("p", true)["stats"]["resourceStats"]["diskWriteIOps"], 3);
  }
  Harness h(db);
  Json job_after = h.engine->get_job("j", true)["stats"];
  for (const char* k : {"userCPUTime", "numSucceededTasks", "numFailedTasks", "numTaskRetries", "writeIOps", "startTime"})
    EXPECT_EQ(job_after[k], job_before[k]) << k;
  EXPECT_EQ(h.engine->get_task("j", "ok", true)["stats"]["userCPUTime"], "PT1.500000S");
  h.engine->delete_job("j", {});
  h.wait([&] { return h.engine->list_jobs().empty(); });
  Json lifetime = h.engine->lifetime_job_stats();  // deleted jobs still count
  EXPECT_EQ(lifetime["userCPUTime"], "PT2S");
  EXPECT_EQ(lifetime["startTime"], lifetime_before["startTime"]);
  h.engine->stop();
  std::filesystem::remove(db);
}

TEST(Engine, RetentionDeadlineSurvivesARestart) {
  auto db = temp_db("retention");
  {
    Harness h(db);
    h.add_pool("p", 1, 1);
    h.engine->add_job({{"id", "j"}, {"poolInfo", {{"poolId", "p"}}}});
    h.engine->add_tasks("j", {{{"id", "brief"}, {"commandLine", "x"}, {"constraints", {{"retentionTime", "PT0.5S"}}}},
                              {{"id", "kept"}, {"commandLine", "x"}}});
    h.wait([&] { return h.engine->task_counts("j")["taskCounts"]["completed"] == 2; });
    h.engine->stop();  // before the deadline
    EXPECT_TRUE(h.removed_dirs().empty());
  }
  Harness h(db);
  h.wait([&] { return !h.removed_dirs().empty(); });
  EXPECT_EQ(h.removed_dirs(), std::vector<std::string>{"j/brief"});  // "kept" has the default 7 days
  h.engine->stop();
  std::filesystem::remove(db);
}

}  // namespace
}  // namespace kiln::batch
