#include "blob/blob_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <stdexcept>
#include <system_error>

#include "core/crypto.h"
#include "core/file_util.h"

namespace kiln::blob {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

BlobFiles::BlobFiles(std::string dir, bool durable) : dir_(std::move(dir)), durable_(durable) {
  fs::make_dirs(dir_);
  // A hole in a file takes no space on disk.
  Fd zeros{::open(path(kZeros).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644)};
  if (zeros.fd < 0) throw_errno("create " + std::string(kZeros));
  struct stat st{};
  if (::fstat(zeros.fd, &st) != 0) throw_errno("stat zeros");
  if (st.st_size != off_t(kZerosBytes) && (::ftruncate(zeros.fd, 0) != 0 || ::ftruncate(zeros.fd, off_t(kZerosBytes)) != 0))
    throw_errno("size " + std::string(kZeros));
}

std::string BlobFiles::new_name() const { return crypto::hex(crypto::random_bytes(16)); }

void BlobFiles::finish(int fd, const std::string& name) {
  if (durable_ && ::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(path(name).c_str());
    throw std::system_error(e, std::generic_category(), "fsync " + name);
  }
  ::close(fd);
}

BlobFiles::NewFile BlobFiles::create_empty() {
  NewFile f;
  f.name = new_name();
  f.fd = ::open(path(f.name).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (f.fd < 0) throw_errno("create " + f.name);
  return f;
}

std::string BlobFiles::md5(const std::string& name) const {
  Fd in{::open(path(name).c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) throw_errno("open " + name);
  crypto::Md5 md5;
  std::string buf(1 << 20, '\0');
  while (true) {
    ssize_t n = ::read(in.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read " + name);
    if (n == 0) break;
    md5.update(std::string_view(buf.data(), size_t(n)));
  }
  return md5.finish();
}

std::string BlobFiles::md5(const std::vector<Piece>& pieces) const {
  crypto::Md5 md5;
  std::string buf;
  for (const auto& piece : pieces) {
    Fd in{::open(path(piece.name).c_str(), O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0) throw_errno("open " + piece.name);
    if (buf.empty()) buf.resize(1 << 20);
    for (uint64_t done = 0; done < piece.length;) {
      size_t want = size_t(std::min<uint64_t>(buf.size(), piece.length - done));
      fs::pread_all(in.fd, buf.data(), want, piece.offset + done);
      md5.update(std::string_view(buf.data(), want));
      done += want;
    }
  }
  return md5.finish();
}

std::string BlobFiles::write_new(const std::function<void(int fd)>& fill) {
  NewFile f = create_empty();
  try {
    fill(f.fd);
  } catch (...) {
    ::close(f.fd);
    ::unlink(path(f.name).c_str());
    throw;
  }
  finish(f.fd, f.name);
  return f.name;
}

std::string BlobFiles::create(std::string_view data) {
  return write_new([&](int fd) { fs::write_all(fd, data); });
}

std::string BlobFiles::compose(uint64_t length, const std::vector<Part>& parts) {
  return write_new([&](int fd) {
    if (::ftruncate(fd, off_t(length)) != 0) throw_errno("size new file");
    std::string buf;
    for (const auto& part : parts) {
      if (part.from.empty()) {
        if (::lseek(fd, off_t(part.at), SEEK_SET) < 0) throw_errno("seek new file");
        fs::write_all(fd, part.memory);
        continue;
      }
      uint64_t at = part.at;
      for (const auto& piece : part.from) {
        copy_piece_sparse(piece, fd, at, buf);
        at += piece.length;
      }
    }
  });
}

void BlobFiles::copy_piece_sparse(const Piece& piece, int out, uint64_t out_offset, std::string& buf) const {
  Fd in{::open(path(piece.name).c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) throw_errno("open " + piece.name);
  const off_t end = off_t(piece.offset + piece.length);
  off_t pos = off_t(piece.offset);
  while (pos < end) {
    off_t data = ::lseek(in.fd, pos, SEEK_DATA);
    if (data < 0 && errno == ENXIO) return;  // only a hole is left: the new file reads zeros there already
    if (data < 0) {                          // no SEEK_DATA here: copy the rest as it is
      data = pos;
    }
    if (data >= end) return;
    off_t hole = ::lseek(in.fd, data, SEEK_HOLE);
    if (hole < 0 || hole > end) hole = end;
    if (::lseek(out, off_t(out_offset) + (data - off_t(piece.offset)), SEEK_SET) < 0) throw_errno("seek new file");
    copy_range(in.fd, uint64_t(data), uint64_t(hole - data), out, buf);
    pos = hole;
  }
}

bool BlobFiles::same_file(const std::string& a, const std::string& b) const {
  struct stat sa{}, sb{};
  if (::stat(path(a).c_str(), &sa) != 0 || ::stat(path(b).c_str(), &sb) != 0) return false;
  return sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

std::string BlobFiles::concat(const std::vector<Piece>& pieces) {
  return write_new([&](int fd) {
    std::string buf;
    for (const auto& piece : pieces) copy_piece(piece, fd, buf);
  });
}

void BlobFiles::copy_piece(const Piece& piece, int out, std::string& buf) const {
  Fd in{::open(path(piece.name).c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) throw_errno("open " + piece.name);
  copy_range(in.fd, piece.offset, piece.length, out, buf);
}

void BlobFiles::copy_range(int in, uint64_t offset, uint64_t length, int out, std::string& buf) {
  loff_t in_off = loff_t(offset);
  uint64_t left = length;
  while (left > 0) {
    ssize_t n = ::copy_file_range(in, &in_off, out, nullptr, size_t(left), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) {
      left -= uint64_t(n);
      continue;
    }
    // Fall back to read/write (filesystems without copy_file_range, or a short source).
    if (buf.empty()) buf.resize(1 << 20);
    size_t want = size_t(std::min<uint64_t>(buf.size(), left));
    fs::pread_all(in, buf.data(), want, uint64_t(in_off));
    fs::write_all(out, std::string_view(buf.data(), want));
    in_off += loff_t(want);
    left -= want;
  }
}

std::string BlobFiles::extent_list(const std::vector<Extent>& extents) {
  std::string out = "+";
  for (const auto& e : extents) {
    if (out.size() > 1) out += ',';
    out += e.name + ":" + std::to_string(e.length);
  }
  return out;
}

std::vector<BlobFiles::Extent> BlobFiles::extents_of(const std::string& file) {
  std::vector<Extent> out;
  if (!is_extent_list(file)) return out;
  size_t pos = 1;
  while (pos < file.size()) {
    size_t end = file.find(',', pos);
    if (end == std::string::npos) end = file.size();
    size_t colon = file.find(':', pos);
    if (colon == std::string::npos || colon > end) throw std::runtime_error("bad extent list");
    out.push_back({file.substr(pos, colon - pos), std::stoull(file.substr(colon + 1, end - colon - 1))});
    pos = end + 1;
  }
  return out;
}

std::vector<BlobFiles::Piece> BlobFiles::locate(const std::string& file, uint64_t offset, uint64_t length) {
  if (!is_extent_list(file)) return {{file, offset, length}};
  std::vector<Piece> out;
  uint64_t start = 0;  // of the current extent within the blob
  for (auto& e : extents_of(file)) {
    if (length == 0) break;
    uint64_t end = start + e.length;
    if (offset < end) {
      uint64_t in = offset - start, n = std::min(length, e.length - in);
      if (e.name.empty()) {  // a hole: n bytes of zeros, at most the zeros file's size a piece
        for (uint64_t left = n; left > 0; left -= std::min(left, kZerosBytes))
          out.push_back({kZeros, 0, std::min(left, kZerosBytes)});
      } else {
        out.push_back({std::move(e.name), in, n});
      }
      offset += n;
      length -= n;
    }
    start = end;
  }
  return out;
}

std::string BlobFiles::link(const std::string& src) {
  if (is_extent_list(src)) {
    std::vector<Extent> linked;
    try {
      for (const auto& e : extents_of(src)) linked.push_back({e.name.empty() ? "" : link(e.name), e.length});
    } catch (...) {
      for (const auto& e : linked) remove(e.name);
      throw;
    }
    return extent_list(linked);
  }
  std::string name = new_name();
  if (::link(path(src).c_str(), path(name).c_str()) != 0) throw_errno("link " + src);
  return name;
}

std::string BlobFiles::copy(const std::string& src, uint64_t length) {
  return concat(locate(src, 0, length));
}

void BlobFiles::write_at(const std::string& name, uint64_t offset, std::string_view data) {
  Fd fd{::open(path(name).c_str(), O_WRONLY | O_CLOEXEC)};
  if (fd.fd < 0) throw_errno("open " + name);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd.fd, data.data() + done, data.size() - done, off_t(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("write " + name);
    done += size_t(n);
  }
  if (durable_ && ::fdatasync(fd.fd) != 0) throw_errno("fsync " + name);
}

void BlobFiles::write_at(const std::string& name, uint64_t offset, const std::vector<Piece>& from) {
  Fd fd{::open(path(name).c_str(), O_WRONLY | O_CLOEXEC)};
  if (fd.fd < 0) throw_errno("open " + name);
  if (::lseek(fd.fd, off_t(offset), SEEK_SET) < 0) throw_errno("seek " + name);
  std::string buf;
  for (const auto& piece : from) copy_piece(piece, fd.fd, buf);
  if (durable_ && ::fdatasync(fd.fd) != 0) throw_errno("fsync " + name);
}

int BlobFiles::open(const std::string& name) const {
  return ::open(path(name).c_str(), O_RDONLY | O_CLOEXEC);
}

void BlobFiles::remove(const std::string& name) const {
  if (is_extent_list(name)) {
    for (const auto& e : extents_of(name)) remove(e.name);
    return;
  }
  if (!name.empty() && name != kZeros) ::unlink(path(name).c_str());
}

size_t BlobFiles::sweep(const std::set<std::string>& keep) const {
  size_t removed = 0;
  DIR* d = ::opendir(dir_.c_str());
  if (!d) return 0;
  std::vector<std::string> doomed;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == ".." || n == kZeros) continue;
    if (!keep.count(n)) doomed.push_back(n);
  }
  std::set<std::string> in_lists;  // extents of committed extent lists are referenced too
  for (const auto& k : keep)
    if (is_extent_list(k))
      for (auto& e : extents_of(k)) in_lists.insert(std::move(e.name));
  doomed.erase(std::remove_if(doomed.begin(), doomed.end(), [&](const std::string& n) { return in_lists.count(n) > 0; }),
               doomed.end());
  ::closedir(d);
  for (const auto& n : doomed) {
    if (::unlink(path(n).c_str()) == 0) ++removed;
  }
  return removed;
}

}  // namespace kiln::blob
