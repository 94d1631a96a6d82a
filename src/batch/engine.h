// The Batch engine of one account: the entity model (pools, compute nodes, jobs,
// tasks), their state machines, the scheduler that places active tasks on nodes
// with free slots, and persistence through a Store. It knows nothing about HTTP:
// handlers call these operations with validated request documents and get Azure
// JSON documents back; expected failures throw BatchError.
//
// Files: engine.cc (lifecycle, recovery, scheduler loop), engine_pools.cc
// (pools, allocation), engine_nodes.cc (node state machine, start task),
// engine_jobs.cc (job state machine, counts), engine_tasks.cc (task operations),
// scheduler.cc (placement, task execution callbacks, retries, retention).
//
// Thread-safety: every public method is thread-safe. One mutex guards the model
// and the store; node agents are called outside it (their callbacks re-enter).
// One scheduler thread does placement, node provisioning and timers, woken by a
// condition variable (no polling of the store).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "batch/errors.h"
#include "batch/model.h"
#include "batch/odata.h"
#include "batch/store.h"
#include "batch/usage.h"
#include "node/node_agent.h"

namespace kiln::batch {

using NodeFactory = std::function<std::unique_ptr<node::NodeAgent>(node::NodeConfig)>;

struct EngineOptions {
  std::string account_name;
  std::string account_url;  // for AZ_BATCH_ACCOUNT_URL and entity urls
  std::string nodes_dir;    // node sandboxes: <nodes_dir>/<pool>/<node>
  std::string ca_file;
  NodeFactory node_factory;
  int dedicated_core_quota = 64;
  int low_priority_core_quota = 64;
};

// HTTP conditional headers, checked against an entity's ETag / lastModified.
struct Conditions {
  std::string if_match, if_none_match;
  std::optional<int64_t> if_modified_since_us, if_unmodified_since_us;
  bool empty() const {
    return if_match.empty() && if_none_match.empty() && !if_modified_since_us && !if_unmodified_since_us;
  }
};
// Throws ConditionNotMet (412) — or NotModified (304) for reads — when unmet.
void check_conditions(const Json& entity, const Conditions& c, bool is_read);

// Outcome of adding one task of a collection.
struct TaskAddOutcome {
  std::string task_id;
  std::optional<BatchError> error;
  std::string etag, last_modified;
};

// Where a task ran: enough for the files API.
struct TaskLocation {
  std::shared_ptr<node::NodeAgent> agent;
  std::string task_dir;  // relative to the node root
  std::string node_url;
  bool completed = false;  // a missing directory then means it was cleaned up
};

class Engine {
 public:
  Engine(EngineOptions options, std::unique_ptr<Store> store);
  ~Engine();
  // Loads the store (recovery: running tasks are requeued) and starts the scheduler.
  void start();
  void stop();  // idempotent; running tasks stay "running" in the store and are requeued on restart

  // Account
  Json pool_node_counts();

  // Lifetime statistics of every job / pool the account has had (JobStatistics,
  // PoolStatistics documents, without odata.metadata).
  Json lifetime_job_stats();
  Json lifetime_pool_stats();

  // Pools (spec documents are validated by the handlers). `with_stats` adds
  // the "stats" property, as $expand=stats does.
  void add_pool(const Json& spec);
  Json get_pool(const std::string& id, bool with_stats = false);
  std::vector<Json> list_pools(bool with_stats = false);
  void delete_pool(const std::string& id, const Conditions& c);
  // patch: only given properties; replace (updateProperties): startTask, metadata
  // and the reference lists are replaced, absent startTask removed.
  Json update_pool(const std::string& id, const Json& changes, bool replace, const Conditions& c);
  void resize_pool(const std::string& id, std::optional<int> dedicated, std::optional<int> low_priority,
                   const std::string& deallocation, const Conditions& c);
  void stop_resize_pool(const std::string& id, const Conditions& c);
  void remove_nodes(const std::string& id, const std::vector<std::string>& node_ids,
                    const std::string& deallocation, const Conditions& c);

  // Compute nodes
  Json get_node(const std::string& pool_id, const std::string& node_id);
  std::vector<Json> list_nodes(const std::string& pool_id);
  void reboot_node(const std::string& pool_id, const std::string& node_id, const std::string& option);
  void set_node_scheduling(const std::string& pool_id, const std::string& node_id, bool enabled,
                           const std::string& option);
  // The node's agent, for the files API; throws PoolNotFound/NodeNotFound.
  std::shared_ptr<node::NodeAgent> node_agent(const std::string& pool_id, const std::string& node_id,
                                              std::string* node_url = nullptr);

  // Jobs
  void add_job(const Json& spec);
  Json get_job(const std::string& id, bool with_stats = false);
  std::vector<Json> list_jobs(bool with_stats = false);
  void delete_job(const std::string& id, const Conditions& c);
  Json update_job(const std::string& id, const Json& changes, bool replace, const Conditions& c);
  void disable_job(const std::string& id, const std::string& disable_tasks, const Conditions& c);
  void enable_job(const std::string& id, const Conditions& c);
  void terminate_job(const std::string& id, const std::string& reason, const Conditions& c);
  Json task_counts(const std::string& id);

  // Tasks
  std::vector<TaskAddOutcome> add_tasks(const std::string& job_id, const std::vector<Json>& specs);
  Json get_task(const std::string& job_id, const std::string& task_id, bool with_stats = false);
  // Up to `limit` tasks matching `filter` after `after_key`, serialised (after
  // $select); `next_key` is set when more may follow.
  std::vector<std::string> list_tasks(const std::string& job_id, const std::string& after_key,
                                      const odata::Filter* filter, const std::vector<std::string>& select,
                                      size_t limit, std::string& next_key, bool with_stats = false);
  Json update_task(const std::string& job_id, const std::string& task_id, const Json& constraints,
                   const Conditions& c);
  void delete_task(const std::string& job_id, const std::string& task_id, const Conditions& c);
  void terminate_task(const std::string& job_id, const std::string& task_id, const Conditions& c);
  void reactivate_task(const std::string& job_id, const std::string& task_id, const Conditions& c);
  TaskLocation task_location(const std::string& job_id, const std::string& task_id);

  // Makes every change acknowledged so far durable (group commit); call
  // without holding any engine lock, before answering a mutating request.
  void sync() { store_->sync(); }

  const EngineOptions& options() const { return opt_; }

 private:
  struct NodeRt {
    Json doc;  // ComputeNode document (state, schedulingState, startTaskInfo, ...)
    std::string pool_key;
    std::shared_ptr<node::NodeAgent> agent;  // null until provisioned
    int used_slots = 0;
    int running_tasks = 0;
    uint64_t epoch = 0;  // bumped on reboot/removal: stale callbacks are ignored
    bool provisioning = false;
    bool remove_when_idle = false;
    std::set<std::pair<std::string, std::string>> running;  // (job key, task key)
  };
  struct PoolRt {
    Json doc;
    std::map<std::string, NodeRt> nodes;  // by node id
    bool deleting = false;
    Usage usage;  // its tasks' usage and the core time of nodes already removed
  };
  struct LiveTask {  // a task not yet completed
    char state = 'a';  // a=active, p=preparing, r=running
    int slots = 1;
    uint64_t run_id = 0;  // identifies the current attempt
    std::string pool_key, node_id;
  };
  struct Counts {
    int64_t active = 0, running = 0, completed = 0, succeeded = 0, failed = 0;
  };
  struct JobRt {
    Json doc;
    std::deque<std::string> queue;  // active task keys, in add order (lazy removal)
    std::unordered_map<std::string, LiveTask> live;
    Counts counts, slot_counts;
    int64_t seq = 0;  // creation order, for scheduling ties
    Usage usage;      // its tasks' usage (JobStatistics)
  };
  using Action = std::function<void()>;  // work run outside the lock

  // engine.cc
  void wake();
  void scheduler_loop();
  void run_actions(std::vector<Action>& actions);
  void recover();
  PoolRt& pool_or_throw(const std::string& id);
  PoolRt& pool_for_change(const std::string& id, const Conditions& c, bool must_be_steady);  // engine_pools.cc
  JobRt& job_or_throw(const std::string& id);
  // The job's state, after refusing a job being deleted (JobBeingDeleted) or
  // completed (JobCompleted); callers decide what "terminating" allows.
  static std::string require_job_not_ended(const JobRt& job);
  void touch(Json& doc);  // new ETag + lastModified
  void set_state(Json& doc, const std::string& state);
  std::string entity_url(const std::string& path) const;

  // engine_pools.cc
  void provision(std::vector<Action>& actions);
  void provision_node(PoolRt& pool, NodeRt& node, std::vector<Action>& actions);
  void start_node(PoolRt& pool, NodeRt& node, std::vector<Action>& actions);
  void on_start_task_done(const std::string& pool_key, const std::string& node_id, uint64_t epoch,
                          const node::TaskOutcome& outcome);
  void resize_to(PoolRt& pool, int dedicated, int low_priority, const std::string& deallocation,
                 std::vector<Action>& actions);
  void shrink(PoolRt& pool, bool dedicated, int count, const std::string& deallocation,
              std::vector<Action>& actions);
  void release_node(PoolRt& pool, NodeRt& node, const std::string& deallocation, std::vector<Action>& actions);
  void remove_node_now(PoolRt& pool, NodeRt& node, std::vector<Action>& actions);
  void launch_start_task(PoolRt& pool, NodeRt& node, int attempt, std::vector<Action>& actions);
  void finish_pool_deletions(std::vector<Action>& actions);
  void update_allocation_state(PoolRt& pool, bool force_persist);
  Json node_view(const PoolRt& pool, const NodeRt& node) const;
  Json pool_view(const PoolRt& pool) const;
  void persist_pool(const PoolRt& pool);
  void persist_node(const NodeRt& node);
  node::TaskSpec start_task_spec(const PoolRt& pool, int attempt) const;

  // engine_jobs.cc
  Json job_view(const JobRt& job) const;
  void persist_job(const JobRt& job);
  void maybe_complete_job(JobRt& job);
  void count_transition(JobRt& job, const std::string& from_state, const std::string& from_result,
                        const std::string& to_state, const std::string& to_result, int slots);
  Json task_view(const std::string& job_id, const Json& doc) const;
  void finish_job_deletions();
  void begin_termination(JobRt& job, const std::string& reason, std::vector<Action>& actions);
  void expire_jobs(std::vector<Action>& actions);
  void end_task_now(JobRt& job, const std::string& key, TaskRow& row, const std::string& reason_code,
                    const std::string& message);

  // scheduler.cc
  // Places active tasks on free slots; on a tie between nodes `preferred_node`
  // (the one whose task just finished) wins.
  void assign(std::vector<Action>& actions, const std::string& preferred_node = "");
  node::TaskSpec task_spec(const JobRt& job, const TaskRow& row, const PoolRt& pool) const;
  void on_task_running(const std::string& job_key, const std::string& task_key, uint64_t run_id);
  void record_start(TaskRow& row);  // the attempt starts now: running, startTime, waitTime
  void on_task_complete(const std::string& job_key, const std::string& task_key, uint64_t run_id,
                        const node::TaskOutcome& outcome);
  // on_task_complete's work under mu_; fills the freed slots (assign) at once.
  void complete_task(const std::string& job_key, const std::string& task_key, uint64_t run_id,
                     const node::TaskOutcome& outcome, std::vector<Action>& actions);
  static node::UserIdentity user_identity(const Json& holder, const Json& pool_doc);
  static Json failure_info(const node::TaskOutcome& outcome, bool terminated);
  void stop_running_task(JobRt& job, const std::string& key, LiveTask& live, bool requeue,
                         std::vector<Action>& actions);
  // stop_running_task for every task on the node (reboot, disable scheduling, removal).
  void stop_tasks_on_node(NodeRt& node, bool requeue, std::vector<Action>& actions);
  // Returns the task's slots to its node; wakes the scheduler to refill them
  // when `wake_scheduler` (else only when a draining node became idle).
  void free_slots(const std::string& pool_key, const std::string& node_id, const std::string& job_key,
                  const std::string& task_key, int slots, bool succeeded, bool wake_scheduler = true);
  void expire_retention(std::vector<Action>& actions);
  // A completed task's directory is removed at endTime + retentionTime (durable: expires_us).
  void schedule_retention(TaskRow& row, int64_t end_us);

  // usage (engine_stats.cc)
  // Adds an attempt's or a task's usage to its job, its pool and the account.
  void account_usage(JobRt& job, const std::string& pool_key, const Usage& delta);
  // Adds a node's core time from its allocation until now to `dedicated` (if it
  // is dedicated) and to `all`.
  void add_node_core_us(const PoolRt& pool, const NodeRt& node, int64_t& dedicated, int64_t& all) const;
  void retire_node_usage(PoolRt& pool, const NodeRt& node);
  // Writes changed usage totals, at most once a second unless `force`.
  void flush_usage(bool force);
  void load_usage();
  Json job_stats(const JobRt& job) const;
  Json pool_stats(const PoolRt& pool) const;
  Json task_stats(const std::string& job_id, const Json& doc, const Usage& usage) const;
  EngineOptions opt_;
  std::unique_ptr<Store> store_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool started_ = false;
  bool dirty_ = false;  // something for the scheduler to look at
  std::map<std::string, PoolRt> pools_;  // by lower-case id
  std::map<std::string, JobRt> jobs_;    // by lower-case id
  std::set<std::string> deleting_jobs_;
  int64_t job_seq_ = 0;
  uint64_t next_run_id_ = 1;
  int64_t next_expiry_us_ = 0;  // earliest pending retention deadline (0 = none)
  Usage account_jobs_, account_pools_;  // lifetime totals, deleted jobs and pools included
  std::set<std::string> usage_dirty_;   // usage scopes to write
  int64_t usage_flushed_us_ = 0;
  int64_t account_since_us_ = 0;        // start of the lifetime statistics
  std::thread scheduler_;
};

}  // namespace kiln::batch
