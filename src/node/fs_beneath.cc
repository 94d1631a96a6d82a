#include "node/fs_beneath.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

namespace kiln::node {
namespace {

// 1 = openat2 works, 0 = unknown, -1 = kernel lacks it (ENOSYS).
std::atomic<int> g_openat2_state{0};

std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    if (!c.empty() && c != ".") out.push_back(c);
    i = j + 1;
  }
  return out;
}

int try_openat2(int dirfd, std::string_view path, int flags, mode_t mode, uint64_t resolve) {
  if (g_openat2_state.load(std::memory_order_relaxed) < 0) {
    errno = ENOSYS;
    return -1;
  }
  std::string p = path.empty() ? std::string(".") : std::string(path);
  open_how how{};
  how.flags = uint64_t(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = resolve;
  long fd;
  do {
    fd = ::syscall(SYS_openat2, dirfd, p.c_str(), &how, sizeof how);
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  if (fd < 0 && errno == ENOSYS) {
    g_openat2_state.store(-1, std::memory_order_relaxed);
  } else if (fd >= 0) {
    g_openat2_state.store(1, std::memory_order_relaxed);
  }
  return int(fd);
}

// Component-by-component walk that refuses every symlink: the fallback when
// openat2 is unavailable.
int walk_nofollow(int dirfd, std::string_view path, int flags, mode_t mode) {
  auto parts = components(path);
  if (parts.empty()) return ::openat(dirfd, ".", flags | O_CLOEXEC, mode);
  int cur = dirfd;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    std::string c(parts[i]);
    int next = ::openat(cur, c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (cur != dirfd) ::close(cur);
    if (next < 0) return -1;
    cur = next;
  }
  std::string last(parts.back());
  int fd = ::openat(cur, last.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
  int saved = errno;
  if (cur != dirfd) ::close(cur);
  errno = saved;
  return fd;
}

}  // namespace

bool is_safe_relative_path(std::string_view path) {
  if (!path.empty() && path.front() == '/') return false;
  if (path.find('\0') != std::string_view::npos) return false;
  for (auto c : components(path)) {
    if (c == "..") return false;
  }
  return true;
}

int open_beneath(int dirfd, std::string_view path, int flags, mode_t mode) {
  if (!is_safe_relative_path(path)) {
    errno = EXDEV;
    return -1;
  }
  int fd = try_openat2(dirfd, path, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
  if (fd >= 0 || errno != ENOSYS) return fd;
  return walk_nofollow(dirfd, path, flags, mode);
}

int open_beneath_nofollow(int dirfd, std::string_view path, int flags, mode_t mode) {
  if (!is_safe_relative_path(path)) {
    errno = EXDEV;
    return -1;
  }
  int fd = try_openat2(dirfd, path, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
  if (fd >= 0 || errno != ENOSYS) return fd;
  return walk_nofollow(dirfd, path, flags, mode);
}

int make_dirs_beneath(int dirfd, std::string_view path, mode_t mode, std::optional<Owner> owner) {
  if (!is_safe_relative_path(path)) {
    errno = EXDEV;
    return -1;
  }
  auto parts = components(path);
  if (parts.empty()) return ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int cur = dirfd;  // the caller's until the first step (not closed here)
  for (auto part : parts) {
    std::string c(part);
    bool created = ::mkdirat(cur, c.c_str(), mode) == 0;
    if (!created && errno != EEXIST) {
      int saved = errno;
      if (cur != dirfd) ::close(cur);
      errno = saved;
      return -1;
    }
    int next = ::openat(cur, c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int saved = errno;
    if (cur != dirfd) ::close(cur);
    if (next < 0) {
      errno = saved;
      return -1;
    }
    cur = next;
    if (created) {
      // mkdir's mode is filtered by the umask; the layout needs exact modes.
      ::fchmod(cur, mode);
      if (owner) (void)::fchown(cur, owner->uid, owner->gid);
    }
  }
  return cur;
}

bool remove_tree_at(int dirfd, const std::string& name) {
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT;
  if (!S_ISDIR(st.st_mode)) return ::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT;
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    return false;
  }
  bool ok = true;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) {
    if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
    names.emplace_back(e->d_name);
  }
  for (const auto& n : names) ok = remove_tree_at(::dirfd(dir), n) && ok;
  ::closedir(dir);
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) ok = false;
  return ok;
}

std::pair<std::string, std::string> split_parent(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {"", std::string(path)};
  return {std::string(path.substr(0, slash)), std::string(path.substr(slash + 1))};
}

}  // namespace kiln::node
