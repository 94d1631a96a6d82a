#include "blob/spooled_body.h"

#include <unistd.h>

#include "core/file_util.h"

namespace kiln::blob {

SpooledBody::SpooledBody(BlobFiles& files, bool want_md5, bool want_crc64)
    : files_(files), file_(files.create_empty()), want_md5_(want_md5), want_crc64_(want_crc64) {}

SpooledBody::~SpooledBody() {
  if (!sealed_ && file_.fd >= 0) ::close(file_.fd);
  if (!taken_) files_.remove(file_.name);
}

void SpooledBody::append(const char* data, size_t n) {
  std::string_view chunk(data, n);
  fs::write_all(file_.fd, chunk);
  if (want_md5_) md5_state_.update(chunk);
  if (want_crc64_) crc64_ = crypto::crc64(chunk, crc64_);
  size_ += n;
}

void SpooledBody::finish() {
  if (want_md5_) md5_ = md5_state_.finish();
}

std::string SpooledBody::take_file() {
  // Synced only now: a body refused by its checks never costs an fsync.
  sealed_ = true;  // seal() closes the descriptor whatever happens
  files_.seal(file_.fd, file_.name);
  taken_ = true;
  return file_.name;
}

}  // namespace kiln::blob
