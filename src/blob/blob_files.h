// Blob and block bytes as immutable-once-visible files in one directory. A new
// version is always a new file: written, fsynced, then referenced by a metadata
// commit (the caller asks the store to fsync the directory in the same batch).
// Readers hold an open fd, so a replaced or deleted version stays readable for
// them until they close it. Append blobs only ever write past their committed
// length, so bytes a reader may see never change.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::blob {

class BlobFiles {
 public:
  // `durable` = false skips fsync (in-memory mode).
  BlobFiles(std::string dir, bool durable);
  // A sparse file of kZerosBytes zeros: the holes of page blobs (extents
  // without a name) read from it, a piece of at most its size at a time.
  // Never swept or removed.
  static constexpr const char* kZeros = "zeros";
  static constexpr uint64_t kZerosBytes = 1ull << 30;
  const std::string& dir() const { return dir_; }

  // Creates a new file holding `data`, durable on return. Returns its name.
  std::string create(std::string_view data);
  // A new empty file to be written by the caller, then passed to seal().
  struct NewFile {
    int fd = -1;
    std::string name;
  };
  NewFile create_empty();
  // Makes a file from create_empty() durable and closes it (unlinks it and
  // throws if the fsync fails).
  void seal(int fd, const std::string& name) { finish(fd, name); }
  // A byte range of an existing file.
  struct Piece {
    std::string name;
    uint64_t offset = 0;
    uint64_t length = 0;
  };
  // Creates a new file from ranges of existing files, in order.
  std::string concat(const std::vector<Piece>& pieces);

  // A committed block blob's bytes may be an ordered list of whole files (its
  // blocks' files, each owned by that one version) instead of one file, so
  // committing a block list copies no bytes. Such a "file" is written
  // "+name:length,name:length,...": every method below taking a name accepts it.
  struct Extent {
    std::string name;
    uint64_t length = 0;
  };
  // An extent with an empty name is a hole: zeros (page blobs, page_layout.h).
  static bool is_extent_list(const std::string& file) { return !file.empty() && file[0] == '+'; }
  static std::string extent_list(const std::vector<Extent>& extents);
  static std::vector<Extent> extents_of(const std::string& file);  // {} for a plain file
  // The file ranges holding bytes [offset, offset + length) of `file`, in order
  // (holes as ranges of kZeros).
  static std::vector<Piece> locate(const std::string& file, uint64_t offset, uint64_t length);

  // A new name for the same bytes (hard links): snapshots and copies of immutable
  // versions. An extent list gets a new link per extent.
  std::string link(const std::string& name);
  // A new durable file of `length` bytes holding each part at its offset, holes
  // (zeros) elsewhere: a page blob's chunk (page_layout.h).
  struct Part {
    uint64_t at = 0;
    std::vector<Piece> from;   // the part's bytes from files, or
    std::string_view memory;   // from memory (when `from` is empty)
  };
  std::string compose(uint64_t length, const std::vector<Part>& parts);
  // Whether two names are links of the same file (a snapshot's chunk and its blob's).
  bool same_file(const std::string& a, const std::string& b) const;
  // A new file with the first `length` bytes of `name` (copies of append blobs).
  std::string copy(const std::string& name, uint64_t length);
  // Writes `data` (or the bytes of `from`) at `offset` of an existing file and makes it durable.
  void write_at(const std::string& name, uint64_t offset, std::string_view data);
  void write_at(const std::string& name, uint64_t offset, const std::vector<Piece>& from);
  // The MD5 (raw 16 bytes) of a plain file's bytes, read a bounded buffer at a time.
  std::string md5(const std::string& name) const;
  // The MD5 (raw 16 bytes) of file ranges, in order.
  std::string md5(const std::vector<Piece>& pieces) const;
  // Opens a plain file for reading; returns -1 if the file does not exist.
  int open(const std::string& name) const;
  void remove(const std::string& name) const;  // every extent of an extent list
  // Deletes files not in `keep` (left by a crash between write and commit).
  size_t sweep(const std::set<std::string>& keep) const;

 private:
  std::string new_name() const;
  // A new file filled by `fill(fd)`, durable on return; removed if `fill` throws.
  std::string write_new(const std::function<void(int fd)>& fill);
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  // Copies `piece` to `out` at out's file position; `buf` is scratch space.
  void copy_piece(const Piece& piece, int out, std::string& buf) const;
  // The same from an open descriptor: `length` bytes at `offset` of `in`.
  static void copy_range(int in, uint64_t offset, uint64_t length, int out, std::string& buf);
  // Copies the data of `piece` to `out` at `out_offset`, skipping the piece's
  // holes (`out` must read zeros there already): a page blob chunk written in
  // a few places is copied as those few places.
  void copy_piece_sparse(const Piece& piece, int out, uint64_t out_offset, std::string& buf) const;
  void finish(int fd, const std::string& name);  // fsync + close, unlink on failure

  std::string dir_;
  bool durable_;
};

}  // namespace kiln::blob
