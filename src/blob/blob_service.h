// The Blob service: Azure Blob Storage's REST API over a durable local store.
//
// Each request goes through an explicit pipeline: request context (account,
// container, blob from a path-style or host-style URL) -> operation dispatch ->
// authentication/authorization -> the resource handler -> XML serialization;
// any AzureError becomes Azure's XML error response.
//
// Thread-safety: handle() and on_bad_request() are called concurrently from the
// HTTP server's connection threads.
#pragma once

#include <memory>
#include <string>

#include "core/accounts.h"
#include "core/http_types.h"

namespace kiln::blob {

struct Call;
struct RequestContext;

struct BlobServiceOptions {
  std::string data_dir;          // persistent root for this service (created); ignored when in_memory
  bool in_memory = false;        // metadata and blob bytes in a temp dir removed at exit, no fsyncs
  const kiln::AccountRegistry* accounts = nullptr;  // never null
  bool oauth = false;            // accept Azure AD bearer tokens over HTTPS (oauth.h)
  int container_soft_delete_days = 0;  // 0: Delete Container deletes at once (container_soft_delete.h)
  bool versioning = false;             // keep previous versions of blobs (versions.h)
  bool immutability = false;           // version-level immutability support (immutability.h; needs versioning)
};

class BlobService {
 public:
  explicit BlobService(BlobServiceOptions options);
  ~BlobService();
  BlobService(const BlobService&) = delete;
  BlobService& operator=(const BlobService&) = delete;

  void handle(kiln::http::Request& req, kiln::http::Response& res);
  // For the HTTP server's spool_body: Put Blob and Put Block bodies bigger than
  // what is stored inline go straight into a data file as they arrive.
  std::shared_ptr<kiln::http::BodySink> spool_body(const kiln::http::Request& head);
  // 400/413/431/500 from the HTTP layer, in the Blob XML error format.
  void on_bad_request(int status, const kiln::http::Request& req, kiln::http::Response& res);

 private:
  void admit(const kiln::http::Request& req, RequestContext& ctx);
  // Blob Batch: runs each sub-request through handle() (blob_batch.cc).
  void run_batch(Call& c);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::blob
