// The files API of a node (list/get/properties/delete, from a task or from the
// node), confined beneath the node root: relative paths only, no '..', and
// symlinks are followed only while they stay inside the root. Stateless,
// thread-safe.
#pragma once

#include <string>
#include <vector>

#include "node/node_agent.h"

namespace kiln::node {

// Lists `dir` (relative to the root; "" is the root), sorted by name; names are
// relative to `dir`. Recursive listings include directories and descend into
// them (never through symlinks). False when `dir` escapes, is missing or is not
// a directory.
bool list_node_files(int root_fd, const std::string& dir, bool recursive,
                     std::vector<FileInfo>& out);
// Properties of one file or directory; out.name is `path` as given.
bool stat_node_file(int root_fd, const std::string& path, FileInfo& out);
// A read-only descriptor (O_CLOEXEC) of a regular file, or -1.
int open_node_file(int root_fd, const std::string& path);
// Deletes a file, an empty directory, or with `recursive` a whole tree. The
// root itself cannot be deleted. False when nothing was deleted.
bool delete_node_file(int root_fd, const std::string& path, bool recursive);

}  // namespace kiln::node
