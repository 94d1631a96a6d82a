#include "batch/usage.h"

#include <gtest/gtest.h>

namespace kiln::batch {
namespace {

TEST(Usage, AddsCountersKeepsThePeakAndTheLatestUpdate) {
  Usage a, b;
  a.user_cpu_us = 10, a.peak_rss_bytes = 500, a.updated_us = 7, a.succeeded = 1;
  b.user_cpu_us = 5, b.peak_rss_bytes = 300, b.updated_us = 9, b.failed = 1;
  a.add(b);
  EXPECT_EQ(a.user_cpu_us, 15);
  EXPECT_EQ(a.peak_rss_bytes, 500);
  EXPECT_EQ(a.updated_us, 9);
  EXPECT_EQ(a.succeeded, 1);
  EXPECT_EQ(a.failed, 1);
}

TEST(Usage, TextFormRoundTripsAndIsEmptyForNothing) {
  EXPECT_EQ(Usage().to_text(), "");
  Usage u;
  u.kernel_cpu_us = 3, u.write_bytes = 1 << 20, u.wait_us = 12;
  Usage back = Usage::from_text(u.to_text());
  EXPECT_EQ(back.kernel_cpu_us, 3);
  EXPECT_EQ(back.write_bytes, 1 << 20);
  EXPECT_EQ(back.wait_us, 12);
  EXPECT_TRUE(Usage::from_text("not json").empty());
}

TEST(Usage, AnAttemptsWallClockIsItsRunTime) {
  node::ResourceUsage r;
  r.user_cpu_us = 1500000;
  Usage u = Usage::of_attempt(r, 1000000, 3500000);
  EXPECT_EQ(u.wall_us, 2500000);
  EXPECT_EQ(u.user_cpu_us, 1500000);
  EXPECT_EQ(Usage::of_attempt(r, 0, 5).wall_us, 0);  // never started
}

TEST(Usage, StatisticsDocumentsUseAzureNamesAndIsoDurations) {
  Usage u;
  u.user_cpu_us = 1500000, u.wall_us = 61000000, u.read_bytes = 1LL << 30, u.succeeded = 2, u.retries = 1;
  Json job = job_statistics("http://x/jobs/j", 0, 1000000, u);
  EXPECT_EQ(job["userCPUTime"], "PT1.500000S");
  EXPECT_EQ(job["wallClockTime"], "PT1M1S");
  EXPECT_EQ(job["kernelCPUTime"], "PT0S");
  EXPECT_DOUBLE_EQ(job["readIOGiB"].get<double>(), 1.0);
  EXPECT_EQ(job["numSucceededTasks"], 2);
  EXPECT_EQ(job["numTaskRetries"], 1);
  for (const char* k : {"url", "startTime", "lastUpdateTime", "readIOps", "writeIOps", "writeIOGiB",
                        "numFailedTasks", "waitTime"})
    EXPECT_TRUE(job.contains(k)) << k;

  Json task = task_statistics("http://x/jobs/j/tasks/t", 0, 5000000, Usage(), 2000000);
  EXPECT_EQ(task["wallClockTime"], "PT3S");  // still running: its time so far
  EXPECT_FALSE(task.contains("numSucceededTasks"));

  Usage p;
  p.user_cpu_us = 1000000, p.core_us = 1000000;
  Json pool = pool_statistics("http://x/pools/p", 0, 1000000, p, 2000000, 3000000);
  EXPECT_EQ(pool["usageStats"]["dedicatedCoreTime"], "PT2S");
  EXPECT_DOUBLE_EQ(pool["resourceStats"]["avgCPUPercentage"].get<double>(), 25.0);
}

}  // namespace
}  // namespace kiln::batch
