// Statistics: usage accumulated per job, pool and account from the node
// agents' reports (see usage.h), the "stats" documents of $expand=stats, the
// account lifetime statistics, and their persistence. Totals are written to
// the store at most once a second (and on stop): a kill -9 can lose the last
// second of accumulation, never a task's own figures (kept in its row).
#include "batch/engine.h"
#include "core/time_format.h"

namespace kiln::batch {
namespace {

constexpr int64_t kFlushIntervalUs = 1000000;
const char* const kAccountJobs = "account:jobs";
const char* const kAccountPools = "account:pools";
const char* const kAccountSince = "account:since";

int64_t parse_time_us(const Json& doc, const char* name) {
  auto t = timefmt::parse_iso8601(doc.value(name, ""));
  return t ? timefmt::to_micros(*t) : 0;
}

}  // namespace

void Engine::account_usage(JobRt& job, const std::string& pool_key, const Usage& delta) {
  job.usage.add(delta);
  usage_dirty_.insert("job:" + lower(job.doc["id"]));
  account_jobs_.add(delta);
  usage_dirty_.insert(kAccountJobs);
  if (auto pit = pools_.find(pool_key); pit != pools_.end()) {
    pit->second.usage.add(delta);
    usage_dirty_.insert("pool:" + pool_key);
    account_pools_.add(delta);
    usage_dirty_.insert(kAccountPools);
  }
}

void Engine::add_node_core_us(const PoolRt& pool, const NodeRt& node, int64_t& dedicated, int64_t& all) const {
  int64_t since = parse_time_us(node.doc, "allocationTime");
  if (!since) return;
  const VmSize* vm = find_vm_size(pool.doc.value("vmSize", ""));
  int64_t us = std::max<int64_t>(0, now_us() - since) * (vm ? vm->cores : 1);
  all += us;
  if (node.doc.value("isDedicated", true)) dedicated += us;
}

void Engine::retire_node_usage(PoolRt& pool, const NodeRt& node) {
  Usage core;
  add_node_core_us(pool, node, core.dedicated_core_us, core.core_us);
  core.updated_us = now_us();
  pool.usage.add(core);
  account_pools_.add(core);
  usage_dirty_.insert("pool:" + lower(pool.doc["id"]));
  usage_dirty_.insert(kAccountPools);
}

void Engine::flush_usage(bool force) {
  if (usage_dirty_.empty()) return;
  int64_t now = now_us();
  if (!force && now - usage_flushed_us_ < kFlushIntervalUs) return;
  usage_flushed_us_ = now;
  for (const std::string& scope : usage_dirty_) {
    const Usage* u = nullptr;
    Usage since;
    if (scope == kAccountJobs) u = &account_jobs_;
    else if (scope == kAccountPools) u = &account_pools_;
    else if (scope == kAccountSince) since.updated_us = account_since_us_, u = &since;
    else if (scope.rfind("job:", 0) == 0) {
      if (auto it = jobs_.find(scope.substr(4)); it != jobs_.end()) u = &it->second.usage;
    } else if (scope.rfind("pool:", 0) == 0) {
      if (auto it = pools_.find(scope.substr(5)); it != pools_.end()) u = &it->second.usage;
    }
    if (u) store_->put_usage(scope, u->to_text());
  }
  usage_dirty_.clear();
}

void Engine::load_usage() {
  for (const auto& [scope, text] : store_->load_usage()) {
    Usage u = Usage::from_text(text);
    if (scope == kAccountJobs) account_jobs_ = u;
    else if (scope == kAccountPools) account_pools_ = u;
    else if (scope == kAccountSince) account_since_us_ = u.updated_us;
    else if (scope.rfind("job:", 0) == 0) {
      if (auto it = jobs_.find(scope.substr(4)); it != jobs_.end()) it->second.usage = u;
    } else if (scope.rfind("pool:", 0) == 0) {
      if (auto it = pools_.find(scope.substr(5)); it != pools_.end()) it->second.usage = u;
    }
  }
  if (!account_since_us_) {
    account_since_us_ = now_us();
    usage_dirty_.insert(kAccountSince);
  }
}

Json Engine::job_stats(const JobRt& job) const {
  return job_statistics(entity_url("/jobs/" + job.doc["id"].get<std::string>()),
                        parse_time_us(job.doc, "creationTime"), now_us(), job.usage);
}

Json Engine::pool_stats(const PoolRt& pool) const {
  int64_t dedicated = 0, all = 0;
  for (const auto& [id, node] : pool.nodes) add_node_core_us(pool, node, dedicated, all);
  return pool_statistics(entity_url("/pools/" + pool.doc["id"].get<std::string>()),
                         parse_time_us(pool.doc, "creationTime"), now_us(), pool.usage, dedicated, all);
}

Json Engine::task_stats(const std::string& job_id, const Json& doc, const Usage& usage) const {
  int64_t running_since = 0;
  if (doc.value("state", "") == "running") running_since = parse_time_us(doc["executionInfo"], "startTime");
  return task_statistics(entity_url("/jobs/" + job_id + "/tasks/" + doc.value("id", "")),
                         parse_time_us(doc, "creationTime"), now_us(), usage, running_since);
}

Json Engine::lifetime_job_stats() {
  std::lock_guard lk(mu_);
  return job_statistics(entity_url("/lifetimejobstats"), account_since_us_, now_us(), account_jobs_);
}

Json Engine::lifetime_pool_stats() {
  std::lock_guard lk(mu_);
  int64_t dedicated = 0, all = 0;
  for (const auto& [key, pool] : pools_)
    for (const auto& [id, node] : pool.nodes) add_node_core_us(pool, node, dedicated, all);
  return pool_statistics(entity_url("/lifetimepoolstats"), account_since_us_, now_us(), account_pools_,
                         dedicated, all);
}

}  // namespace kiln::batch
