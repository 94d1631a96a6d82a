// A Put Blob, Put Block or Append Block body written straight into a new data file as it
// arrives, so memory stays flat whatever its size (the HTTP server's
// BodySink), and hashed on the way for Content-MD5 and x-ms-content-crc64.
// The handler takes the file; if it does not (an error), the file is removed
// when the request ends.
//
// Thread-safety: one request's thread at a time, like the request itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "blob/blob_files.h"
#include "core/crypto.h"
#include "core/http_types.h"

namespace kiln::blob {

class SpooledBody : public http::BodySink {
 public:
  // Hashes only what the request needs: hashing costs more CPU than writing.
  SpooledBody(BlobFiles& files, bool want_md5, bool want_crc64);
  ~SpooledBody() override;
  SpooledBody(const SpooledBody&) = delete;
  SpooledBody& operator=(const SpooledBody&) = delete;

  void append(const char* data, size_t n) override;
  void finish() override;

  uint64_t size() const { return size_; }
  bool has_md5() const { return want_md5_; }
  const std::string& md5() const { return md5_; }  // raw 16 bytes, after finish()
  bool has_crc64() const { return want_crc64_; }
  uint64_t crc64() const { return crc64_; }
  // The data file's name, made durable (fsync); from now on the caller owns the file.
  std::string take_file();
  // The bytes as they are (not synced), for a handler that copies them
  // elsewhere; the file stays the body's and goes with the request.
  BlobFiles::Piece bytes() const { return {file_.name, 0, size_}; }

  // The spooled body of `req`, if its body went to one.
  static SpooledBody* of(const http::Request& req) { return dynamic_cast<SpooledBody*>(req.body_sink.get()); }

 private:
  BlobFiles& files_;
  BlobFiles::NewFile file_;
  bool want_md5_, want_crc64_;
  bool sealed_ = false;
  bool taken_ = false;
  uint64_t size_ = 0;
  crypto::Md5 md5_state_;
  std::string md5_;
  uint64_t crc64_ = 0;
};

}  // namespace kiln::blob
