#include "node/local_node_agent.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/file_util.h"
#include "core/log.h"
#include "core/time_format.h"
#include "node/command_line.h"
#include "node/leftover_tasks.h"
#include "node/node_files.h"
#include "node/resource_files.h"
#include "node/task_environment.h"
#include "node/task_user.h"

namespace kiln::node {

struct LocalNodeAgent::Attempt {
  TaskSpec spec;
  TaskCallbacks callbacks;
  std::string key;

  std::mutex mu;
  bool cancel = false;                 // terminate requested
  pid_t pid = 0;                       // set while the process runs
  bool running_reported = false;       // on_running has returned
  int64_t running_reported_us = 0;     // ... at this time
  std::optional<TaskOutcome> pending;  // an exit that arrived before that
  int64_t start_time_us = 0;
};

namespace {

constexpr const char* kTaskEnded = "Task Was Ended by User Request";

// The agent whose launcher or reaper thread this is (callbacks run there).
thread_local const LocalNodeAgent* t_running_agent = nullptr;

// Whether this thread sits in its node's cgroups (see launcher_loop), and
// whether it has tried to join them.
thread_local bool t_in_node_cgroup = false;
thread_local bool t_cgroup_tried = false;
// Launches running on this thread from inside run() (see run()).
thread_local int t_inline_launches = 0;

struct RunningAgentScope {
  const LocalNodeAgent* saved;
  explicit RunningAgentScope(const LocalNodeAgent* agent) : saved(t_running_agent) {
    t_running_agent = agent;
  }
  ~RunningAgentScope() { t_running_agent = saved; }
};

std::string attempt_key(const std::string& job_id, const std::string& task_id) {
  return job_id + '\0' + task_id;
}

int64_t now_us() { return timefmt::to_micros(timefmt::now()); }

TaskOutcome ended_outcome(int64_t start_us) {
  TaskOutcome o;
  o.terminated = true;
  o.failure_category = "UserError";
  o.failure_code = "TaskEnded";
  o.failure_message = kTaskEnded;
  o.start_time_us = start_us;
  o.end_time_us = now_us();
  return o;
}

TaskOutcome failed_outcome(std::string category, std::string code, std::string message,
                           int64_t start_us) {
  TaskOutcome o;
  o.failure_category = std::move(category);
  o.failure_code = std::move(code);
  o.failure_message = std::move(message);
  o.start_time_us = start_us;
  o.end_time_us = now_us();
  return o;
}

// Tasks should trust Kiln's HTTPS certificate as well as the public CAs, so the
// bundle they get is the system's followed by Kiln's. Readable by every task user.
std::string write_ca_bundle(const std::string& node_root, const std::string& ca_file) {
  std::string bundle;
  try {
    bundle = fs::read_file("/etc/ssl/certs/ca-certificates.crt");
  } catch (const std::exception&) {
    // No system bundle: Kiln's certificate alone.
  }
  if (!bundle.empty() && bundle.back() != '\n') bundle += '\n';
  try {
    bundle += fs::read_file(ca_file);
    std::string path = node_root + "/volatile/kiln-ca-bundle.pem";
    fs::write_file_atomic(path, bundle);
    ::chmod(path.c_str(), 0644);
    return path;
  } catch (const std::exception& e) {
    LOG_WARN("node: tasks will not trust Kiln's certificate: " << e.what());
    return "";
  }
}

}  // namespace

LocalNodeAgent::LocalNodeAgent(NodeConfig config) : config_(std::move(config)) {
  task_owner_ = unprivileged_account();
  layout_ = std::make_unique<NodeLayout>(config_.root_dir, task_owner_);
  if (task_owner_) ensure_traversable(layout_->root(), *task_owner_);
  kill_leftover_tasks(layout_->root());
  if (!config_.ca_file.empty()) ca_bundle_ = write_ca_bundle(layout_->root(), config_.ca_file);
  cgroup_ = NodeCgroup::create("kiln-" + std::to_string(::getpid()) + "-" + config_.pool_id + "-" +
                                   config_.node_id,
                               config_.cores, config_.memory_bytes);
  runner_ = std::make_unique<ProcessRunner>();
}

LocalNodeAgent::~LocalNodeAgent() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  terminate_all();
  work_cv_.notify_all();
  // A run() racing the shutdown may still start a launcher: join until none is left.
  for (;;) {
    std::vector<std::thread> launchers;
    {
      std::lock_guard lock(mu_);
      launchers.swap(launchers_);
    }
    if (launchers.empty()) break;
    for (auto& t : launchers) t.join();
  }
  runner_.reset();  // reaps the rest and delivers their completions
  cgroup_.reset();
}

void LocalNodeAgent::run(const TaskSpec& spec, TaskCallbacks callbacks) {
  auto a = std::make_shared<Attempt>();
  a->spec = spec;
  a->callbacks = std::move(callbacks);
  a->key = attempt_key(spec.job_id, spec.task_id);
  std::unique_lock lock(mu_);
  if (stopping_) a->cancel = true;
  live_.emplace(a->key, a);
  // Called from this node's own completion callback (the service refilling the
  // slot just freed), a task with nothing to download starts right here: no
  // hand-over to a launcher thread, whose wake-up a busy machine delays. Not
  // when already inside such a launch (a chain of tasks failing at once would
  // recurse) nor for another agent's thread (its exit would kill the task, see
  // SpawnRequest::kill_with_parent).
  if (t_running_agent == this && t_inline_launches == 0 && spec.resource_files.empty() && !stopping_) {
    lock.unlock();
    if (!t_cgroup_tried) {
      t_cgroup_tried = true;
      t_in_node_cgroup = cgroup_ && cgroup_->join_thread();
    }
    ++t_inline_launches;
    launch(a);
    --t_inline_launches;
    return;
  }
  queue_.push_back(a);
  if (idle_launchers_ == 0 && launchers_.size() < kMaxLaunchers) {
    ++idle_launchers_;
    launchers_.emplace_back([this] { launcher_loop(); });
  }
  work_cv_.notify_one();
}

bool LocalNodeAgent::on_own_thread() const { return t_running_agent == this; }

void LocalNodeAgent::launcher_loop() {
  pthread_setname_np(pthread_self(), "kiln-launcher");
  RunningAgentScope scope(this);
  // Joined once here, the node's cgroups hold every task this thread spawns
  // from birth; otherwise each task joins them itself before it execs.
  t_cgroup_tried = true;
  t_in_node_cgroup = cgroup_ && cgroup_->join_thread();
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {  // stopping and drained
      --idle_launchers_;
      return;
    }
    auto a = std::move(queue_.front());
    queue_.pop_front();
    --idle_launchers_;
    lock.unlock();
    launch(a);
    lock.lock();
    ++idle_launchers_;
  }
}

void LocalNodeAgent::launch(const std::shared_ptr<Attempt>& a) {
  const TaskSpec& spec = a->spec;
  const int64_t prepared_at = now_us();
  {
    std::lock_guard lock(a->mu);
    if (a->cancel) return finish(a, ended_outcome(prepared_at));
  }
  auto rel = NodeLayout::task_dir(spec.job_id, spec.task_id);
  if (!rel) {
    return finish(a, failed_outcome("ServerError", "ResourceDirectoryCreateFailed",
                                    "The job or task id cannot name a directory.", prepared_at));
  }
  RunAs user = run_as_for(spec.user);
  const std::optional<Owner>& owner = user.switch_to;

  TaskDirHandles dir;
  if (!layout_->prepare_task_dir(*rel, owner, dir)) {
    LOG_WARN("node " << config_.node_id << ": cannot prepare " << *rel << ": "
                     << std::strerror(errno));
    return finish(a, failed_outcome("ServerError", "ResourceDirectoryCreateFailed",
                                    "Failure encountered creating resource directory for the task.",
                                    prepared_at));
  }

  DownloadOptions dl;
  dl.ca_file = config_.ca_file;
  dl.owner = owner;
  dl.cancelled = [a] {
    std::lock_guard lock(a->mu);
    return a->cancel;
  };
  if (auto f = download_resource_files(spec.resource_files, dir.wd, dl)) {
    if (dl.cancelled()) return finish(a, ended_outcome(prepared_at));
    TaskOutcome o = failed_outcome(f->category, f->code, f->message, prepared_at);
    o.failure_details = std::move(f->details);
    return finish(a, o);
  }

  TaskPaths paths;
  paths.node_root = layout_->root();
  paths.task_dir = layout_->absolute(*rel);
  paths.working_dir = paths.task_dir + "/" + NodeLayout::kWorkingDir;
  paths.ca_bundle = ca_bundle_;
  SpawnRequest req;
  if (auto words = split_plain_command(spec.command_line)) {
    req.argv = std::move(*words);
    req.fallback_argv = shell_argv(spec.command_line);
  } else {
    req.argv = shell_argv(spec.command_line);
  }
  req.env = build_task_environment(config_, spec, paths, user);
  req.cwd = paths.working_dir;
  req.stdout_fd = dir.stdout_fd;
  req.stderr_fd = dir.stderr_fd;
  req.run_as = owner;
  req.kill_with_parent = true;
  if (cgroup_ && !t_in_node_cgroup) req.join_cgroups = cgroup_->procs_files();
  std::optional<ProcessRunner::Clock::time_point> deadline;
  if (spec.max_wall_clock_ms) {
    deadline = ProcessRunner::Clock::now() + std::chrono::milliseconds(*spec.max_wall_clock_ms);
  }

  SpawnResult spawned;
  {
    std::lock_guard lock(a->mu);
    if (a->cancel) return finish(a, ended_outcome(prepared_at));
    a->start_time_us = now_us();
    spawned = runner_->start(req, deadline,
                             [this, a](const ProcessRunner::Exit& e) { on_exit(a, e); });
    if (spawned.pid > 0) a->pid = spawned.pid;
  }
  if (spawned.pid <= 0) {
    LOG_WARN("node " << config_.node_id << ": cannot start task: " << spawned.what << ": "
                     << std::strerror(spawned.error));
    TaskOutcome o = failed_outcome("UserError", "CommandLaunchFailed",
                                   "Failed to launch the specified command line.", prepared_at);
    o.failure_details.emplace_back("Message", spawned.what + ": " + std::strerror(spawned.error));
    return finish(a, o);
  }

  if (a->callbacks.on_running) a->callbacks.on_running();
  std::optional<TaskOutcome> pending;
  {
    std::lock_guard lock(a->mu);
    a->running_reported = true;
    a->running_reported_us = now_us();
    pending.swap(a->pending);
  }
  if (pending) {
    // The service stamps its start time while on_running runs: an end time
    // observed before that (a very short task) must not precede it.
    pending->end_time_us = std::max(pending->end_time_us, a->running_reported_us);
    finish(a, *pending);
  }
}

void LocalNodeAgent::on_exit(const std::shared_ptr<Attempt>& a, const ProcessRunner::Exit& e) {
  RunningAgentScope scope(this);
  TaskOutcome o;
  o.exit_code = e.exit_code;
  o.end_time_us = e.end_time_us;
  o.usage = e.usage;
  {
    std::lock_guard lock(a->mu);
    o.start_time_us = a->start_time_us;
    a->pid = 0;
    if (e.timed_out) {
      o.timed_out = true;
      o.failure_category = "UserError";
      o.failure_code = "TaskEnded";
      o.failure_message = kTaskEnded;
      o.failure_details.emplace_back("Message",
                                     "The maximum execution time configured on the task was exceeded");
    } else if (e.terminated || a->cancel) {
      o.terminated = true;
      o.failure_category = "UserError";
      o.failure_code = "TaskEnded";
      o.failure_message = kTaskEnded;
    } else if (e.exit_code != 0) {
      o.failure_category = "UserError";
      o.failure_code = "FailureExitCode";
      o.failure_message = "The task exited with an exit code representing a failure";
      o.failure_details.emplace_back("Message", o.failure_message);
    }
    if (!a->running_reported) {
      a->pending = std::move(o);
      return;
    }
    o.end_time_us = std::max(o.end_time_us, a->running_reported_us);
  }
  finish(a, o);
}

void LocalNodeAgent::finish(const std::shared_ptr<Attempt>& a, const TaskOutcome& outcome) {
  {
    std::lock_guard lock(mu_);
    auto [lo, hi] = live_.equal_range(a->key);
    for (auto it = lo; it != hi; ++it) {
      if (it->second == a) {
        live_.erase(it);
        break;
      }
    }
  }
  if (a->callbacks.on_complete) a->callbacks.on_complete(outcome);
}

std::vector<std::shared_ptr<LocalNodeAgent::Attempt>> LocalNodeAgent::attempts_for(
    const std::string& key) {
  std::vector<std::shared_ptr<Attempt>> out;
  std::lock_guard lock(mu_);
  auto [lo, hi] = live_.equal_range(key);
  for (auto it = lo; it != hi; ++it) out.push_back(it->second);
  return out;
}

void LocalNodeAgent::terminate(const std::string& job_id, const std::string& task_id) {
  for (const auto& a : attempts_for(attempt_key(job_id, task_id))) {
    std::lock_guard lock(a->mu);
    a->cancel = true;
    if (a->pid > 0) runner_->terminate(a->pid, kTerminateGrace);
  }
}

void LocalNodeAgent::terminate_all() {
  std::vector<std::shared_ptr<Attempt>> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, a] : live_) all.push_back(a);
  }
  for (const auto& a : all) {
    std::lock_guard lock(a->mu);
    a->cancel = true;
  }
  // Every attempt that spawned before its cancel flag was set is registered
  // with the runner by now.
  runner_->kill_all();
}

std::string LocalNodeAgent::task_dir(const std::string& job_id, const std::string& task_id) const {
  return NodeLayout::task_dir(job_id, task_id).value_or("");
}

void LocalNodeAgent::remove_task_dir(const std::string& job_id, const std::string& task_id) {
  auto rel = NodeLayout::task_dir(job_id, task_id);
  if (!rel) return;
  delete_node_file(layout_->root_fd(), *rel, /*recursive=*/true);
}

bool LocalNodeAgent::list_files(const std::string& dir, bool recursive,
                                std::vector<FileInfo>& out) const {
  return list_node_files(layout_->root_fd(), dir, recursive, out);
}

bool LocalNodeAgent::stat_file(const std::string& path, FileInfo& out) const {
  return stat_node_file(layout_->root_fd(), path, out);
}

int LocalNodeAgent::open_file(const std::string& path) const {
  return open_node_file(layout_->root_fd(), path);
}

bool LocalNodeAgent::delete_file(const std::string& path, bool recursive) {
  return delete_node_file(layout_->root_fd(), path, recursive);
}

namespace {

// What make_local_node_agent hands out: forwards to a shared LocalNodeAgent so
// that dropping the last reference from inside one of the agent's own
// callbacks cannot make a thread join itself — the shutdown then finishes on a
// short-lived thread of its own.
class LocalNodeAgentHandle final : public NodeAgent {
 public:
  explicit LocalNodeAgentHandle(NodeConfig config)
      : agent_(std::make_shared<LocalNodeAgent>(std::move(config))) {}
  ~LocalNodeAgentHandle() override {
    if (agent_->on_own_thread()) {
      std::thread([agent = std::move(agent_)]() mutable { agent.reset(); }).detach();
    }
  }
  const NodeConfig& config() const override { return agent_->config(); }
  void run(const TaskSpec& spec, TaskCallbacks callbacks) override {
    agent_->run(spec, std::move(callbacks));
  }
  void terminate(const std::string& job_id, const std::string& task_id) override {
    agent_->terminate(job_id, task_id);
  }
  void terminate_all() override { agent_->terminate_all(); }
  std::string task_dir(const std::string& job_id, const std::string& task_id) const override {
    return agent_->task_dir(job_id, task_id);
  }
  void remove_task_dir(const std::string& job_id, const std::string& task_id) override {
    agent_->remove_task_dir(job_id, task_id);
  }
  bool list_files(const std::string& dir, bool recursive, std::vector<FileInfo>& out) const override {
    return agent_->list_files(dir, recursive, out);
  }
  bool stat_file(const std::string& path, FileInfo& out) const override {
    return agent_->stat_file(path, out);
  }
  int open_file(const std::string& path) const override { return agent_->open_file(path); }
  bool delete_file(const std::string& path, bool recursive) override {
    return agent_->delete_file(path, recursive);
  }

 private:
  std::shared_ptr<LocalNodeAgent> agent_;
};

}  // namespace

std::unique_ptr<NodeAgent> make_local_node_agent(NodeConfig config) {
  return std::make_unique<LocalNodeAgentHandle>(std::move(config));
}

}  // namespace kiln::node
