// A client for Azure Blob Storage (and Kiln's Blob service): containers and
// block blobs.
//
// Usage:
//   kiln::client::BlobServiceClient blobs("http://127.0.0.1:10000/devstoreaccount1",
//       {"devstoreaccount1", key});
//   blobs.create_container("input");
//   blobs.upload_file("input", "data.txt", "/tmp/data.txt");
//   std::string text = blobs.download("input", "data.txt");
//
// The endpoint is the account's blob URL: "https://<account>.blob.core.windows.net"
// in Azure, a path-style "http://127.0.0.1:10000/<account>" locally. Requests are
// signed with Shared Key and sent with x-ms-version 2021-08-06. Retryable failures
// are retried according to ClientOptions::retry; other failures throw ServiceError
// or TransportError (kiln/errors.h).
//
// Thread-safety: a client may be used from several threads; calls are serialised
// on its connection. Use one client per thread for parallel transfers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiln/client_options.h"
#include "kiln/credentials.h"
#include "kiln/sas.h"

namespace kiln::client {

inline constexpr const char* kBlobApiVersion = "2021-08-06";

struct ContainerItem {
  std::string name;
  std::string etag;
  std::string last_modified;  // RFC 1123, as the service sends it
};

struct BlobItem {
  std::string name;
  uint64_t content_length = 0;
  std::string content_type;
  std::string etag;
  std::string last_modified;
  std::string blob_type;  // "BlockBlob", ...
};

// One page of a listing; `next_marker` is empty on the last page.
template <class T>
struct ListPage {
  std::vector<T> items;
  std::string next_marker;
};

struct BlobProperties {
  uint64_t content_length = 0;
  std::string content_type;
  std::string etag;
  std::string last_modified;
  std::string content_md5;  // base64, may be empty
  std::map<std::string, std::string> metadata;  // x-ms-meta-* without the prefix
};

struct UploadOptions {
  std::string content_type = "application/octet-stream";
  std::map<std::string, std::string> metadata;
  bool overwrite = true;  // false sends If-None-Match: * (BlobAlreadyExists on conflict)
  // Files larger than this are uploaded as staged blocks (Put Block + Put Block List).
  uint64_t single_put_threshold = 8ull << 20;
  uint64_t block_size = 4ull << 20;
};

// Called with (bytes done, bytes total) as a transfer progresses.
using ProgressCallback = std::function<void(uint64_t done, uint64_t total)>;

class BlobServiceClient {
 public:
  BlobServiceClient(std::string endpoint, SharedKeyCredential credential, ClientOptions options = {});
  // Authorised by a SAS token appended to every request (e.g. a container SAS
  // with write permission, as the tutorial's task program uses). Operations the
  // token does not grant fail with AuthorizationPermissionMismatch; SAS
  // generation needs the key and throws Error.
  BlobServiceClient(std::string endpoint, SasToken sas, ClientOptions options = {});
  // From a storage connection string (see kiln/credentials.h).
  static BlobServiceClient from_connection_string(std::string_view connection_string,
                                                  ClientOptions options = {});
  ~BlobServiceClient();
  BlobServiceClient(BlobServiceClient&&) noexcept;
  BlobServiceClient& operator=(BlobServiceClient&&) noexcept;

  const std::string& endpoint() const;
  const SharedKeyCredential& credential() const;  // throws Error for a SAS client

  // --- containers
  void create_container(const std::string& name);
  // Like create_container, but returns false instead of throwing ContainerAlreadyExists.
  bool create_container_if_not_exists(const std::string& name);
  void delete_container(const std::string& name);
  ListPage<ContainerItem> list_containers_page(const std::string& prefix = {},
                                               const std::string& marker = {},
                                               int max_results = 0);
  std::vector<ContainerItem> list_containers(const std::string& prefix = {});

  // --- blobs
  // Uploads bytes from memory as a block blob (single Put Blob).
  void upload(const std::string& container, const std::string& blob, std::string_view data,
              const UploadOptions& options = {});
  // Uploads a file; large files go as staged blocks of options.block_size.
  void upload_file(const std::string& container, const std::string& blob, const std::string& path,
                   const UploadOptions& options = {}, const ProgressCallback& progress = {});
  // Downloads a blob (or the byte range [offset, offset+length) when length is set).
  std::string download(const std::string& container, const std::string& blob, uint64_t offset = 0,
                       std::optional<uint64_t> length = std::nullopt);
  // Downloads to `path` in ranged chunks (written to a temporary file, then renamed).
  void download_to_file(const std::string& container, const std::string& blob,
                        const std::string& path, const ProgressCallback& progress = {});
  BlobProperties get_properties(const std::string& container, const std::string& blob);
  void delete_blob(const std::string& container, const std::string& blob);
  ListPage<BlobItem> list_blobs_page(const std::string& container, const std::string& prefix = {},
                                     const std::string& marker = {}, int max_results = 0);
  // Every blob in the container (follows NextMarker).
  std::vector<BlobItem> list_blobs(const std::string& container, const std::string& prefix = {});

  // --- URLs and SAS (no network)
  std::string container_url(const std::string& container) const;
  std::string blob_url(const std::string& container, const std::string& blob) const;
  std::string generate_blob_sas(const std::string& container, const std::string& blob,
                                const SasOptions& options) const;
  std::string generate_container_sas(const std::string& container, const SasOptions& options) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::client
