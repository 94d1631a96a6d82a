// raw_spawn — the machine's raw rate of running trivial task processes, the
// ceiling for Kiln's task throughput: each run makes a fresh working
// directory, spawns /bin/true there (posix_spawn, i.e. clone(CLONE_VM|CLONE_VFORK))
// with stdout/stderr appended to files in that directory, and waits for it.
// `--parallel` runs that many such loops at once (one per task slot).
//
//   raw_spawn [--count N] [--parallel P] [--dir D] [--keep 1]
// --keep leaves the directories in place: deleting thousands of inodes makes the
// next run on the same filesystem pay for skipping them (ext4), which would
// bias a comparison run right after this one.
// prints one line: raw_spawn count=N parallel=P seconds=S rate=R (processes/s)
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

bool run_one(const std::string& base, int i) {
  std::string dir = base + "/" + std::to_string(i);
  std::string wd = dir + "/wd";
  if (::mkdir(dir.c_str(), 0755) != 0 || ::mkdir(wd.c_str(), 0755) != 0) return false;
  int out = ::open((dir + "/stdout.txt").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int err = ::open((dir + "/stderr.txt").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) return false;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out, 1);
  posix_spawn_file_actions_adddup2(&fa, err, 2);
  posix_spawn_file_actions_addchdir_np(&fa, wd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
  pid_t pid;
  int rc = ::posix_spawn(&pid, "/bin/true", &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(out);
  ::close(err);
  if (rc != 0) return false;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  int count = 2000;
  int parallel = 4;
  std::string dir;
  bool keep = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--count") count = std::atoi(argv[i + 1]);
    else if (flag == "--parallel") parallel = std::atoi(argv[i + 1]);
    else if (flag == "--dir") dir = argv[i + 1];
    else if (flag == "--keep") keep = std::atoi(argv[i + 1]) != 0;
    else {
      std::fprintf(stderr, "usage: raw_spawn [--count N] [--parallel P] [--dir D] [--keep 1]\n");
      return 2;
    }
  }
  if (count <= 0 || parallel <= 0) return 2;
  std::string base;
  if (dir.empty()) {
    char tmpl[] = "/tmp/kiln-raw-spawn-XXXXXX";
    if (!::mkdtemp(tmpl)) return 1;
    base = tmpl;
  } else {
    base = dir + "/raw-spawn-" + std::to_string(::getpid());
    std::filesystem::create_directories(base);
  }

  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < parallel; ++t) {
    threads.emplace_back([&] {
      for (int i; (i = next.fetch_add(1)) < count;) {
        if (!run_one(base, i)) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!keep) std::filesystem::remove_all(base);
  if (failures.load()) {
    std::fprintf(stderr, "raw_spawn: %d of %d runs failed\n", failures.load(), count);
    return 1;
  }
  std::printf("raw_spawn count=%d parallel=%d seconds=%.3f rate=%.1f\n", count, parallel, seconds,
              count / seconds);
  return 0;
}
