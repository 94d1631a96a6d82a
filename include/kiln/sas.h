// Service shared access signatures (SAS) for Blob Storage.
//
// generate_blob_sas / generate_container_sas return the query string of a
// service SAS ("sv=...&sr=b&sp=r&se=...&sig=..."), signed with the account key
// exactly as Azure defines the string-to-sign for signed version 2020-12-06 and
// later (the default here is 2021-08-06). Append it to a blob or container URL
// after '?'. No network access; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "kiln/credentials.h"

namespace kiln::client {

// Permissions in the canonical order Azure requires (r a c w d x l t ...).
struct BlobSasPermissions {
  bool read = false;
  bool add = false;
  bool create = false;
  bool write = false;
  bool delete_ = false;
  bool list = false;  // containers only

  static BlobSasPermissions read_only() { return {.read = true}; }
  // The "sp" value, e.g. "rcw".
  std::string to_string() const;
};

struct SasOptions {
  BlobSasPermissions permissions;
  std::chrono::system_clock::time_point expiry;             // required
  std::optional<std::chrono::system_clock::time_point> start;
  std::string protocol;     // "", "https" or "https,http"
  std::string ip_range;     // "", "1.2.3.4" or "1.2.3.4-1.2.3.9"
  std::string identifier;   // stored access policy id
  std::string version = "2021-08-06";
  // Response header overrides (rscc, rscd, rsce, rscl, rsct).
  std::string cache_control, content_disposition, content_encoding, content_language, content_type;
};

// SAS for one blob ("sr=b").
std::string generate_blob_sas(const SharedKeyCredential& credential, const std::string& container,
                              const std::string& blob, const SasOptions& options);
// SAS for a whole container ("sr=c").
std::string generate_container_sas(const SharedKeyCredential& credential,
                                   const std::string& container, const SasOptions& options);

// The string-to-sign behind a service SAS; exposed for tests and diagnostics.
// `canonical_resource` is "/blob/<account>/<container>[/<blob>]".
std::string sas_string_to_sign(const std::string& canonical_resource, const std::string& resource,
                               const SasOptions& options);

}  // namespace kiln::client
