#include "node/node_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "node/fs_beneath.h"

namespace kiln::node {
namespace {

int64_t micros(const statx_timestamp& t) { return int64_t(t.tv_sec) * 1000000 + t.tv_nsec / 1000; }

bool fill(int dirfd, const char* name, int flags, const std::string& shown, FileInfo& out) {
  struct statx sx {};
  if (::statx(dirfd, name, flags, STATX_BASIC_STATS | STATX_BTIME, &sx) != 0) return false;
  out.name = shown;
  out.is_directory = S_ISDIR(sx.stx_mode);
  out.size = out.is_directory ? 0 : sx.stx_size;
  out.last_modified_us = micros(sx.stx_mtime);
  // Filesystems without birth times report the inode change time instead.
  out.creation_time_us = (sx.stx_mask & STATX_BTIME) ? micros(sx.stx_btime) : micros(sx.stx_ctime);
  char mode[16];
  std::snprintf(mode, sizeof mode, "0%o", unsigned(sx.stx_mode));
  out.file_mode = mode;
  return true;
}

void list_dir(int dirfd, const std::string& prefix, bool recursive, std::vector<FileInfo>& out) {
  int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    return;
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) {
    if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
    names.emplace_back(e->d_name);
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    FileInfo info;
    if (!fill(::dirfd(dir), name.c_str(), AT_SYMLINK_NOFOLLOW, prefix + name, info)) continue;
    bool descend = recursive && info.is_directory;
    out.push_back(std::move(info));
    if (descend) {
      int sub = ::openat(::dirfd(dir), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) {
        list_dir(sub, prefix + name + "/", true, out);
        ::close(sub);
      }
    }
  }
  ::closedir(dir);
}

bool is_root(const std::string& path) {
  for (char c : path) {
    if (c != '/' && c != '.') return false;
  }
  return true;
}

}  // namespace

bool list_node_files(int root_fd, const std::string& dir, bool recursive,
                     std::vector<FileInfo>& out) {
  int fd = open_beneath(root_fd, dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return false;
  list_dir(fd, "", recursive, out);
  ::close(fd);
  return true;
}

bool stat_node_file(int root_fd, const std::string& path, FileInfo& out) {
  int fd = open_beneath(root_fd, path, O_PATH);
  if (fd < 0) return false;
  bool ok = fill(fd, "", AT_EMPTY_PATH, path, out);
  ::close(fd);
  return ok;
}

int open_node_file(int root_fd, const std::string& path) {
  int fd = open_beneath(root_fd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return -1;
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    errno = EISDIR;
    return -1;
  }
  // O_NONBLOCK only guarded the open against FIFOs; reads want blocking mode.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

bool delete_node_file(int root_fd, const std::string& path, bool recursive) {
  if (is_root(path) || !is_safe_relative_path(path)) return false;
  auto [parent, name] = split_parent(path);
  if (name.empty() || name == ".") return false;
  int dirfd = open_beneath(root_fd, parent, O_PATH | O_DIRECTORY);
  if (dirfd < 0) return false;
  bool ok = false;
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      ok = ::unlinkat(dirfd, name.c_str(), 0) == 0;
    } else if (recursive) {
      ok = remove_tree_at(dirfd, name);
    } else {
      ok = ::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) == 0;
    }
  }
  ::close(dirfd);
  return ok;
}

}  // namespace kiln::node
