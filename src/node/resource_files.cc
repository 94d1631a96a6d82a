#include "node/resource_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <pugixml.hpp>
#include <system_error>

#include "core/file_util.h"
#include "core/http_client.h"
#include "core/log.h"
#include "core/url.h"

namespace kiln::node {
namespace {

constexpr unsigned kDefaultFileMode = 0770;  // Azure's default on Linux nodes
constexpr const char* kBlobApiVersion = "2021-12-02";

struct Cancelled {};

DownloadFailure failure(const char* category, const char* code, const char* message,
                        const std::string& file_path) {
  DownloadFailure f{category, code, message, {}};
  if (!file_path.empty()) f.details.emplace_back("FilePath", file_path);
  return f;
}

DownloadFailure blob_failure(int status, const std::string& file_path) {
  if (status == 404) {
    return failure("UserError", "BlobNotFound", "One of the specified Azure Blob(s) is not found.",
                   file_path);
  }
  if (status == 401 || status == 403) {
    return failure("UserError", "BlobAccessDenied",
                   "Access for one of the specified Azure Blob(s) is denied.", file_path);
  }
  auto f = failure("ServerError", "BlobDownloadMiscError",
                   "Miscellaneous error encountered while downloading one of the specified Azure "
                   "Blob(s).",
                   file_path);
  if (status > 0) f.details.emplace_back("HttpStatusCode", std::to_string(status));
  return f;
}

DownloadFailure container_failure(int status, const std::string& file_path) {
  if (status == 404) {
    return failure("UserError", "ResourceContainerNotFound",
                   "One of the specified Azure container(s) is not found.", file_path);
  }
  if (status == 401 || status == 403) {
    return failure("UserError", "ResourceContainerAccessDenied",
                   "Access for one of the specified Azure Blob container(s) is denied", file_path);
  }
  auto f = failure("ServerError", "ResourceContainerListMiscError",
                   "Miscellaneous error encountered while listing one of the specified Azure Blob "
                   "container(s)",
                   file_path);
  if (status > 0) f.details.emplace_back("HttpStatusCode", std::to_string(status));
  return f;
}

DownloadFailure local_failure(int err, const std::string& file_path, bool creating) {
  if (err == ENOSPC || err == EDQUOT) {
    return failure("ServerError", "DiskFull",
                   "There is not enough disk space on the node to download the resource files.",
                   file_path);
  }
  auto f = creating ? failure("ServerError", "ResourceFileCreateFailed",
                              "Failure encountered creating resource file.", file_path)
                    : failure("ServerError", "ResourceFileWriteFailed",
                              "Failure encountered writing resource file.", file_path);
  f.details.emplace_back("Message", std::generic_category().message(err));
  return f;
}

bool is_timeout(const std::string& what) {
  return what.find("timeout") != std::string::npos || what.find("timed out") != std::string::npos;
}

// "scheme://host:port" of a parsed URL.
std::string origin(const url::Url& u) {
  std::string host = u.host.find(':') != std::string::npos && u.host.front() != '['
                         ? "[" + u.host + "]"
                         : u.host;
  return u.scheme + "://" + host + ":" + std::to_string(u.port);
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

class Downloader {
 public:
  Downloader(int wd_fd, const DownloadOptions& options)
      : wd_fd_(wd_fd), options_(options), client_(make_client_options(options)) {}

  std::optional<DownloadFailure> run(const std::vector<ResourceFile>& files) {
    for (const auto& rf : files) {
      std::optional<DownloadFailure> f;
      if (!rf.http_url.empty()) {
        f = fetch_url(rf);
      } else if (!rf.storage_container_url.empty()) {
        f = fetch_container(rf);
      } else {
        f = failure("UserError", "ResourceContainerNotFound",
                    "The resource file names no httpUrl or storageContainerUrl.", rf.file_path);
      }
      if (f) return f;
    }
    return std::nullopt;
  }

 private:
  static http::ClientOptions make_client_options(const DownloadOptions& o) {
    http::ClientOptions c;
    c.ca_file = o.ca_file;
    c.timeout_ms = o.timeout_ms;
    return c;
  }

  bool cancelled() const { return options_.cancelled && options_.cancelled(); }

  std::optional<DownloadFailure> fetch_url(const ResourceFile& rf) {
    std::string dest = rf.file_path;
    if (dest.empty()) {
      // Azure requires filePath with httpUrl; default to the URL's last segment.
      auto u = url::parse(rf.http_url);
      if (u) {
        auto name = url::decode(u->path.substr(u->path.rfind('/') + 1)).value_or("");
        dest = name;
      }
    }
    return fetch(rf.http_url, dest, rf.file_mode, rf.file_path.empty() ? dest : rf.file_path);
  }

  std::optional<DownloadFailure> fetch_container(const ResourceFile& rf) {
    auto u = url::parse(rf.storage_container_url);
    if (!u || (u->scheme != "http" && u->scheme != "https")) {
      return container_failure(0, rf.file_path);
    }
    std::string container_path = u->path;
    while (container_path.size() > 1 && container_path.back() == '/') container_path.pop_back();
    const std::string sas = u->query;
    std::string marker;
    std::vector<std::string> names;
    do {
      if (cancelled()) throw Cancelled{};
      std::string list_url = origin(*u) + container_path + "?restype=container&comp=list";
      if (!rf.blob_prefix.empty()) list_url += "&prefix=" + url::encode(rf.blob_prefix);
      if (!marker.empty()) list_url += "&marker=" + url::encode(marker);
      if (!sas.empty()) list_url += "&" + sas;
      http::ClientResponse r;
      try {
        r = client_.send("GET", list_url, blob_headers());
      } catch (const http::ClientError& e) {
        LOG_WARN("node: listing " << origin(*u) << container_path << " failed: " << e.what());
        return container_failure(0, rf.file_path);
      }
      if (r.status != 200) return container_failure(r.status, rf.file_path);
      pugi::xml_document doc;
      if (!doc.load_buffer(r.body.data(), r.body.size())) return container_failure(0, rf.file_path);
      auto results = doc.child("EnumerationResults");
      for (auto blob : results.child("Blobs").children("Blob")) {
        std::string name = blob.child("Name").text().get();
        if (!name.empty() && name.back() != '/') names.push_back(std::move(name));
      }
      marker = results.child("NextMarker").text().get();
    } while (!marker.empty());

    for (const auto& name : names) {
      std::string blob_url = origin(*u) + container_path + "/" + url::encode(name, true);
      if (!sas.empty()) blob_url += "?" + sas;
      std::string dest = join_path(rf.file_path, name);
      if (auto f = fetch(blob_url, dest, rf.file_mode, dest)) return f;
    }
    return std::nullopt;
  }

  http::Headers blob_headers() const {
    http::Headers h;
    h.set("x-ms-version", kBlobApiVersion);
    return h;
  }

  std::optional<DownloadFailure> fetch(const std::string& source_url, const std::string& dest,
                                       const std::string& file_mode, const std::string& shown) {
    if (cancelled()) throw Cancelled{};
    auto [parent, name] = split_parent(dest);
    if (name.empty() || name == "." || !is_safe_relative_path(dest)) {
      return failure("UserError", "ResourceFileCreateFailed",
                     "The resource file path must stay inside the task working directory.", shown);
    }
    unsigned mode = kDefaultFileMode;
    if (!file_mode.empty()) {
      auto m = parse_file_mode(file_mode);
      if (!m) {
        return failure("UserError", "ResourceFileCreateFailed",
                       "The resource file's fileMode is not an octal mode.", shown);
      }
      mode = *m;
    }
    int dir_fd = make_dirs_beneath(wd_fd_, parent, 0755, options_.owner);
    if (dir_fd < 0) return local_failure(errno, shown, /*creating=*/true);
    int fd = open_beneath_nofollow(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int open_errno = errno;
    if (fd < 0) {
      ::close(dir_fd);
      return local_failure(open_errno, shown, /*creating=*/true);
    }
    std::optional<DownloadFailure> result;
    int write_errno = 0;
    auto sink = [&](std::string_view chunk) {
      if (cancelled()) throw Cancelled{};
      try {
        fs::write_all(fd, chunk);
      } catch (const std::system_error& e) {
        write_errno = e.code().value();
        throw;
      }
    };
    try {
      auto r = client_.send("GET", source_url, blob_headers(), {}, sink);
      if (r.status != 200) result = blob_failure(r.status, shown);
    } catch (const http::ClientError& e) {
      result = blob_failure(0, shown);
      if (is_timeout(e.what())) {
        result = failure("ServerError", "BlobDownloadTimedOut",
                         "Timeout encountered while downloading one of the specified Azure "
                         "Blob(s).",
                         shown);
      }
    } catch (const std::system_error&) {
      result = local_failure(write_errno ? write_errno : EIO, shown, /*creating=*/false);
    } catch (const Cancelled&) {
      ::close(fd);
      ::unlinkat(dir_fd, name.c_str(), 0);
      ::close(dir_fd);
      throw;
    }
    if (!result) {
      if (options_.owner) (void)::fchown(fd, options_.owner->uid, options_.owner->gid);
      ::fchmod(fd, mode);
      ::close(fd);
    } else {
      ::close(fd);
      ::unlinkat(dir_fd, name.c_str(), 0);
    }
    ::close(dir_fd);
    return result;
  }

  int wd_fd_;
  const DownloadOptions& options_;
  http::HttpClient client_;
};

}  // namespace

std::optional<unsigned> parse_file_mode(const std::string& text) {
  std::string_view s = text;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) s.remove_prefix(2);
  if (s.empty() || s.size() > 5) return std::nullopt;
  unsigned mode = 0;
  for (char c : s) {
    if (c < '0' || c > '7') return std::nullopt;
    mode = mode * 8 + unsigned(c - '0');
  }
  if (mode > 07777) return std::nullopt;
  return mode;
}

std::optional<DownloadFailure> download_resource_files(const std::vector<ResourceFile>& files,
                                                       int wd_fd, const DownloadOptions& options) {
  if (files.empty()) return std::nullopt;
  try {
    Downloader d(wd_fd, options);
    return d.run(files);
  } catch (const Cancelled&) {
    return DownloadFailure{"UserError", "TaskEnded", "Task Was Ended by User Request", {}};
  } catch (const std::exception& e) {
    // e.g. an unreadable CA file.
    LOG_WARN("node: resource file download failed: " << e.what());
    return DownloadFailure{"ServerError", "BlobDownloadMiscError",
                           "Miscellaneous error encountered while downloading one of the "
                           "specified Azure Blob(s).",
                           {}};
  }
}

}  // namespace kiln::node
