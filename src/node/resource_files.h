// Downloading a task's resource files into its working directory before the
// command runs, as Azure Batch does: an httpUrl (e.g. a blob SAS URL) to
// filePath, or every blob of a storageContainerUrl (a container SAS URL) whose
// name starts with blobPrefix, each to filePath/<blob name>. fileMode applies
// (octal; Azure's Linux default is 0770). Destinations are confined to the
// working directory and symlinks are never followed, since the downloader may
// run with more privileges than the task that owns the directory.
//
// Failures are reported as Azure reports them in the task's failureInfo:
// BlobNotFound / BlobAccessDenied (UserError), BlobDownloadMiscError /
// BlobDownloadTimedOut (ServerError), ResourceContainerNotFound /
// ResourceContainerAccessDenied / ResourceContainerListMiscError for container
// listings, ResourceFileCreateFailed / ResourceFileWriteFailed for local errors.
// Thread-safe (no shared state); blocking.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "node/fs_beneath.h"
#include "node/node_agent.h"

namespace kiln::node {

struct DownloadFailure {
  std::string category;  // "UserError" / "ServerError"
  std::string code;
  std::string message;
  std::vector<std::pair<std::string, std::string>> details;
};

struct DownloadOptions {
  std::string ca_file;               // extra CA for https URLs
  std::optional<Owner> owner;        // chown what is created to this account
  std::function<bool()> cancelled;   // polled while downloading; true aborts
  int timeout_ms = 120000;           // per network operation
};

// Downloads every file beneath the directory `wd_fd`. Returns nullopt on success.
std::optional<DownloadFailure> download_resource_files(const std::vector<ResourceFile>& files,
                                                       int wd_fd, const DownloadOptions& options);

// Parses "0755"/"755"/"0o755"-style octal modes; nullopt when malformed.
std::optional<unsigned> parse_file_mode(const std::string& text);

}  // namespace kiln::node
