// File operations confined beneath a directory descriptor. Every path the node
// agent touches on behalf of a task or an API caller goes through these, so
// neither a '..' in a file name nor a symlink planted by a task can reach
// anything outside the node's root.
//
// Paths are relative, '/'-separated; "" and "." mean the directory itself.
// Functions return -1/false with errno set on failure (ELOOP/EXDEV/EACCES for
// an escape attempt), never throw. All are thread-safe (no shared state).
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kiln::node {

// True for a path that stays beneath its base by construction: not absolute,
// no NUL, no ".." component. ("a/./b" and "a//b" are accepted.)
bool is_safe_relative_path(std::string_view path);

// Opens `path` beneath `dirfd` with open(2) `flags` (O_CLOEXEC is added).
// Symlinks are followed only while they stay beneath `dirfd` (openat2
// RESOLVE_BENEATH; on kernels without it, symlinks are refused).
int open_beneath(int dirfd, std::string_view path, int flags, mode_t mode = 0);

// Like open_beneath but refuses every symlink on the way (for writes made with
// privileges on behalf of a less privileged task).
int open_beneath_nofollow(int dirfd, std::string_view path, int flags, mode_t mode = 0);

// mkdir -p of `path` beneath `dirfd` without following symlinks; each directory
// it creates gets `mode` and, when owner is set, that uid/gid. Returns an
// O_DIRECTORY descriptor of the last component, or -1.
struct Owner {
  uid_t uid;
  gid_t gid;
};
int make_dirs_beneath(int dirfd, std::string_view path, mode_t mode, std::optional<Owner> owner);

// rm -rf of `name` (a single component) inside `dirfd`, never following symlinks.
// A missing entry is success.
bool remove_tree_at(int dirfd, const std::string& name);

// Splits "a/b/c" into the parent "a/b" and the last component "c"
// (parent "" for a single component). Empty or trailing-slash paths are trimmed.
std::pair<std::string, std::string> split_parent(std::string_view path);

}  // namespace kiln::node
