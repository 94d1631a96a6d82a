// Durable file operations: what Kiln calls before it acknowledges a write.
#pragma once

#include <string>
#include <string_view>

namespace kiln::fs {

// Writes all of `data` to fd (retrying short writes). Throws std::system_error.
void write_all(int fd, std::string_view data);
// pread()s exactly `len` bytes at `offset` into out. Throws on error or short file.
void pread_all(int fd, char* out, size_t len, uint64_t offset);
// Creates `path` with `data`, fsyncs it, renames it into place atomically
// (through a temporary sibling) and fsyncs the directory.
void write_file_atomic(const std::string& path, std::string_view data);
// Reads a whole file; throws std::system_error if it cannot.
std::string read_file(const std::string& path);
// fsync of a directory, so a rename or create inside it is durable.
void fsync_dir(const std::string& dir);
// mkdir -p; throws on failure.
void make_dirs(const std::string& path);
// rm -rf; ignores a missing path.
void remove_all(const std::string& path);
// A new, nameless file in `dir` (gone when its descriptor closes), open for
// reading and writing: scratch space for a response too big to hold in memory.
int open_anonymous_file(const std::string& dir);

}  // namespace kiln::fs
