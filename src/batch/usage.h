// Resource usage accumulated from the node agents' reports, and the Azure
// statistics documents built from it (TaskStatistics, JobStatistics,
// PoolStatistics with usageStats/resourceStats), as `$expand=stats` and the
// account lifetime statistics return them.
//
// One Usage value accumulates a task's attempts, a job's tasks, a pool's tasks
// and nodes, or the whole account. Values are plain data (not thread-safe);
// the engine updates them under its lock.
#pragma once

#include <cstdint>
#include <string>

#include "batch/model.h"
#include "node/node_agent.h"

namespace kiln::batch {

struct Usage {
  int64_t user_cpu_us = 0, kernel_cpu_us = 0;
  int64_t wall_us = 0;  // summed over attempts (retries included)
  int64_t wait_us = 0;  // creation → start of the latest attempt (summed for jobs/account)
  int64_t read_ops = 0, write_ops = 0, read_bytes = 0, write_bytes = 0;
  int64_t succeeded = 0, failed = 0, retries = 0;
  int64_t dedicated_core_us = 0, core_us = 0;  // pools: core time of nodes already removed
  int64_t peak_rss_bytes = 0;                  // pools: the largest task's peak memory
  int64_t updated_us = 0;                      // when the value last changed

  bool empty() const;
  // Adds counters; keeps the larger peak and the later update time.
  void add(const Usage& other);
  // The usage of one finished attempt that ran from start_us to end_us.
  static Usage of_attempt(const node::ResourceUsage& r, int64_t start_us, int64_t end_us);

  // Compact storage form ("" for an empty value) and back; unknown keys ignored.
  std::string to_text() const;
  static Usage from_text(const std::string& text);
};

// TaskStatistics. `running_since_us` > 0 adds the running attempt's wall time so far.
Json task_statistics(const std::string& url, int64_t start_us, int64_t now_us, const Usage& u,
                     int64_t running_since_us);
// JobStatistics (also the account's lifetime job statistics).
Json job_statistics(const std::string& url, int64_t start_us, int64_t now_us, const Usage& u);
// PoolStatistics: `live_*_core_us` is the core time of the nodes still in the pool(s).
Json pool_statistics(const std::string& url, int64_t start_us, int64_t now_us, const Usage& u,
                     int64_t live_dedicated_core_us, int64_t live_core_us);

}  // namespace kiln::batch
