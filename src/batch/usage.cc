#include "batch/usage.h"

#include <algorithm>

namespace kiln::batch {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// Storage keys, in field order (short: a job of a million tasks stores a million).
struct Field {
  const char* key;
  int64_t Usage::*member;
};
constexpr Field kFields[] = {
    {"u", &Usage::user_cpu_us},   {"k", &Usage::kernel_cpu_us},   {"w", &Usage::wall_us},
    {"q", &Usage::wait_us},       {"ro", &Usage::read_ops},       {"wo", &Usage::write_ops},
    {"rb", &Usage::read_bytes},   {"wb", &Usage::write_bytes},    {"s", &Usage::succeeded},
    {"f", &Usage::failed},        {"r", &Usage::retries},         {"dc", &Usage::dedicated_core_us},
    {"c", &Usage::core_us},       {"m", &Usage::peak_rss_bytes},  {"t", &Usage::updated_us},
};

double gib(int64_t bytes) { return double(bytes) / kGiB; }

}  // namespace

bool Usage::empty() const {
  for (const Field& f : kFields)
    if (this->*f.member) return false;
  return true;
}

void Usage::add(const Usage& o) {
  int64_t peak = std::max(peak_rss_bytes, o.peak_rss_bytes);
  int64_t updated = std::max(updated_us, o.updated_us);
  for (const Field& f : kFields) this->*f.member += o.*f.member;
  peak_rss_bytes = peak;
  updated_us = updated;
}

Usage Usage::of_attempt(const node::ResourceUsage& r, int64_t start_us, int64_t end_us) {
  Usage u;
  u.user_cpu_us = r.user_cpu_us;
  u.kernel_cpu_us = r.kernel_cpu_us;
  u.read_ops = r.read_ops;
  u.write_ops = r.write_ops;
  u.read_bytes = r.read_bytes;
  u.write_bytes = r.write_bytes;
  u.peak_rss_bytes = r.max_rss_bytes;
  u.wall_us = start_us > 0 && end_us > start_us ? end_us - start_us : 0;
  u.updated_us = end_us;
  return u;
}

std::string Usage::to_text() const {
  if (empty()) return "";
  Json j = Json::object();
  for (const Field& f : kFields)
    if (this->*f.member) j[f.key] = this->*f.member;
  return j.dump();
}

Usage Usage::from_text(const std::string& text) {
  Usage u;
  if (text.empty()) return u;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return u;
  for (const Field& f : kFields)
    if (auto it = j.find(f.key); it != j.end() && it->is_number_integer()) u.*f.member = it->get<int64_t>();
  return u;
}

Json task_statistics(const std::string& url, int64_t start_us, int64_t now, const Usage& u,
                     int64_t running_since_us) {
  int64_t wall = u.wall_us + (running_since_us > 0 && now > running_since_us ? now - running_since_us : 0);
  return {{"url", url},
          {"startTime", iso_time(start_us)},
          {"lastUpdateTime", iso_time(running_since_us > 0 ? now : std::max(u.updated_us, start_us))},
          {"userCPUTime", format_duration(u.user_cpu_us)},
          {"kernelCPUTime", format_duration(u.kernel_cpu_us)},
          {"wallClockTime", format_duration(wall)},
          {"readIOps", u.read_ops},
          {"writeIOps", u.write_ops},
          {"readIOGiB", gib(u.read_bytes)},
          {"writeIOGiB", gib(u.write_bytes)},
          {"waitTime", format_duration(u.wait_us)}};
}

Json job_statistics(const std::string& url, int64_t start_us, int64_t now, const Usage& u) {
  return {{"url", url},
          {"startTime", iso_time(start_us)},
          {"lastUpdateTime", iso_time(now)},
          {"userCPUTime", format_duration(u.user_cpu_us)},
          {"kernelCPUTime", format_duration(u.kernel_cpu_us)},
          {"wallClockTime", format_duration(u.wall_us)},
          {"readIOps", u.read_ops},
          {"writeIOps", u.write_ops},
          {"readIOGiB", gib(u.read_bytes)},
          {"writeIOGiB", gib(u.write_bytes)},
          {"numSucceededTasks", u.succeeded},
          {"numFailedTasks", u.failed},
          {"numTaskRetries", u.retries},
          {"waitTime", format_duration(u.wait_us)}};
}

Json pool_statistics(const std::string& url, int64_t start_us, int64_t now, const Usage& u,
                     int64_t live_dedicated_core_us, int64_t live_core_us) {
  std::string start = iso_time(start_us), update = iso_time(now);
  int64_t core_us = u.core_us + live_core_us;
  double cpu_percent = core_us > 0 ? 100.0 * double(u.user_cpu_us + u.kernel_cpu_us) / double(core_us) : 0.0;
  Json usage = {{"startTime", start},
                {"lastUpdateTime", update},
                {"dedicatedCoreTime", format_duration(u.dedicated_core_us + live_dedicated_core_us)}};
  // Kiln measures its tasks, not whole nodes: memory is the largest task's peak,
  // disk space and network are not measured (0).
  Json resources = {{"startTime", start},
                    {"lastUpdateTime", update},
                    {"avgCPUPercentage", std::min(cpu_percent, 100.0)},
                    {"avgMemoryGiB", 0.0},
                    {"peakMemoryGiB", gib(u.peak_rss_bytes)},
                    {"avgDiskGiB", 0.0},
                    {"peakDiskGiB", 0.0},
                    {"diskReadIOps", u.read_ops},
                    {"diskWriteIOps", u.write_ops},
                    {"diskReadGiB", gib(u.read_bytes)},
                    {"diskWriteGiB", gib(u.write_bytes)},
                    {"networkReadGiB", 0.0},
                    {"networkWriteGiB", 0.0}};
  return {{"url", url},
          {"startTime", start},
          {"lastUpdateTime", update},
          {"usageStats", usage},
          {"resourceStats", resources}};
}

}  // namespace kiln::batch
