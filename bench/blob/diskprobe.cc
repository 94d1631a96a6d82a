// kiln-blob-diskprobe: the disk's own limits for bench/blob, measured in the
// directory where the servers keep their data (so on the same filesystem):
//   - write+fsync bandwidth: write `--size` bytes in 1 MiB writes, then one fsync
//     (MB/s over both) — the ceiling for a durable large upload;
//   - 4 KiB O_DSYNC single-stream rate: synchronous 4 KiB writes one after the
//     other, both appending to a new file (each write also grows the file, as a new
//     blob does) and overwriting a preallocated one (the device's best case).
// Prints one JSON object. With `--file` the big file is kept there (nginx serves
// it); otherwise it is deleted. `--what` picks one measurement, so run.sh can take
// each right before the workload it bounds (this machine's fsync rate swings widely
// with its neighbours' I/O).
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void die(const std::string& what) {
  std::cout << nlohmann::json{{"error", what + ": " + std::strerror(errno)}}.dump() << std::endl;
  std::exit(1);
}

std::vector<char> random_buffer(size_t n) {
  std::vector<char> buf(n);
  std::mt19937_64 rng(7);
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(&buf[i], &v, 8);
  }
  return buf;
}

double write_fsync_mb_per_s(const std::string& path, uint64_t size) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) die("open " + path);
  std::vector<char> buf = random_buffer(1 << 20);
  auto start = Clock::now();
  for (uint64_t done = 0; done < size;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - done));
    ssize_t w = write(fd, buf.data(), n);
    if (w <= 0) die("write");
    done += static_cast<uint64_t>(w);
  }
  if (fsync(fd) != 0) die("fsync");
  double secs = since(start);
  close(fd);
  return static_cast<double>(size) / secs / 1e6;
}

// 4 KiB O_DSYNC writes for `seconds`; `preallocate` overwrites a file of fixed size.
double dsync_ops_per_s(const std::string& path, double seconds, bool preallocate) {
  const size_t kBlock = 4096;
  const off_t kSpan = 64 << 20;
  if (preallocate) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) die("open " + path);
    std::vector<char> zero(1 << 20, 1);
    for (off_t o = 0; o < kSpan; o += static_cast<off_t>(zero.size()))
      if (write(fd, zero.data(), zero.size()) <= 0) die("write");
    if (fsync(fd) != 0) die("fsync");
    close(fd);
  }
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_DSYNC | (preallocate ? 0 : O_TRUNC), 0644);
  if (fd < 0) die("open " + path);
  std::vector<char> buf = random_buffer(kBlock);
  uint64_t ops = 0;
  off_t offset = 0;
  auto start = Clock::now();
  double elapsed = 0;
  while ((elapsed = since(start)) < seconds) {
    if (pwrite(fd, buf.data(), kBlock, offset) != static_cast<ssize_t>(kBlock)) die("pwrite");
    ++ops;
    offset += kBlock;
    if (preallocate && offset >= kSpan) offset = 0;
  }
  close(fd);
  unlink(path.c_str());
  return static_cast<double>(ops) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Disk limits for Kiln's Blob benchmark"};
  std::string dir, file, what = "all";
  uint64_t size = 1ull << 30;
  double seconds = 3;
  app.add_option("--dir", dir, "directory on the filesystem under test")->required();
  app.add_option("--file", file, "write and keep the big file here (default: DIR/diskprobe.big, deleted)");
  app.add_option("--size", size, "bytes for the write+fsync bandwidth");
  app.add_option("--dsync-seconds", seconds, "seconds for each O_DSYNC rate");
  app.add_option("--what", what, "bandwidth, dsync or all")->check(CLI::IsMember({"bandwidth", "dsync", "all"}));
  CLI11_PARSE(app, argc, argv);
  bool keep = !file.empty();
  if (!keep) file = dir + "/diskprobe.big";

  nlohmann::json out = nlohmann::json::object();
  if (what != "dsync") {
    out["write_fsync_mb_per_s"] = write_fsync_mb_per_s(file, size);
    if (!keep) unlink(file.c_str());
  }
  if (what != "bandwidth") {
    out["dsync_4k_append_ops_per_s"] = dsync_ops_per_s(dir + "/diskprobe.append", seconds, false);
    out["dsync_4k_overwrite_ops_per_s"] = dsync_ops_per_s(dir + "/diskprobe.overwrite", seconds, true);
  }
  std::cout << out.dump() << std::endl;
  return 0;
}
