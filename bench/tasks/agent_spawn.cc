// agent_spawn — the embedded node agent alone (no HTTP, engine or SQLite):
// runs N `/bin/true` tasks through LocalNodeAgent::run with P in flight (one
// node with P slots), each in its own task directory, and prints the rate.
// Sits between kiln-raw-spawn (the machine's ceiling) and the end-to-end
// Batch figure, to tell the agent's per-task cost from the service's.
//
//   kiln-agent-spawn [--count N] [--parallel P] [--dir D]
// prints one line: agent_spawn count=N parallel=P seconds=S rate=R (tasks/s)
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>

#include "node/node_agent.h"

int main(int argc, char** argv) {
  int count = 2000, parallel = 4;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--count") count = std::atoi(argv[i + 1]);
    else if (flag == "--parallel") parallel = std::atoi(argv[i + 1]);
    else if (flag == "--dir") dir = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: agent_spawn [--count N] [--parallel P] [--dir D]\n");
      return 2;
    }
  }
  if (count <= 0 || parallel <= 0) return 2;
  if (dir.empty()) dir = std::filesystem::temp_directory_path();
  std::string root = dir + "/agent-spawn-" + std::to_string(::getpid());

  kiln::node::NodeConfig config;
  config.account_name = "bench";
  config.account_url = "http://127.0.0.1:1";
  config.pool_id = "pool";
  config.node_id = "node";
  config.cores = 2;
  config.memory_bytes = int64_t(4) << 30;
  config.root_dir = root;
  auto agent = kiln::node::make_local_node_agent(config);

  // As the Batch engine does, a finished task's callback starts the next one
  // (on the agent's thread); `parallel` are started up front.
  std::mutex mu;
  std::condition_variable cv;
  int done = 0, failed = 0;
  std::atomic<int> next{0};
  std::function<void(int)> start_one = [&](int i) {
    kiln::node::TaskSpec spec;
    spec.job_id = "job";
    spec.task_id = "t" + std::to_string(i);
    spec.command_line = "/bin/true";
    kiln::node::TaskCallbacks cb;
    cb.on_complete = [&](const kiln::node::TaskOutcome& o) {
      if (int j = next.fetch_add(1); j < count) start_one(j);
      std::lock_guard lock(mu);
      if (!o.exit_code || *o.exit_code != 0) ++failed;
      if (++done == count) cv.notify_one();
    };
    agent->run(spec, std::move(cb));
  };
  auto t0 = std::chrono::steady_clock::now();
  for (int p = 0; p < parallel; ++p) {
    if (int j = next.fetch_add(1); j < count) start_one(j);
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done == count; });
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  agent.reset();
  if (failed) {
    std::fprintf(stderr, "agent_spawn: %d of %d tasks failed\n", failed, count);
    return 1;
  }
  std::printf("agent_spawn count=%d parallel=%d seconds=%.3f rate=%.1f\n", count, parallel, seconds,
              count / seconds);
  return 0;
}
