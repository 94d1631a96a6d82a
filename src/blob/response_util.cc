#include "blob/response_util.h"

#include <atomic>
#include <strings.h>

#include <cstdio>

#include "blob/access_tier.h"
#include "blob/customer_key.h"
#include "blob/immutability.h"
#include "blob/lease.h"
#include "blob/names.h"
#include "core/time_format.h"

namespace kiln::blob {

std::string new_etag() {
  static std::atomic<uint64_t> last{0};
  // .NET ticks since year 1 keep ETags looking like Azure's 0x8D... values.
  uint64_t ticks = uint64_t(timefmt::to_micros(timefmt::now())) * 10 + 621355968000000000ULL;
  uint64_t prev = last.load();
  uint64_t next;
  do {
    next = ticks > prev ? ticks : prev + 1;
  } while (!last.compare_exchange_weak(prev, next));
  char buf[32];
  std::snprintf(buf, sizeof buf, "\"0x%llX\"", static_cast<unsigned long long>(next));
  return buf;
}

void add_common_headers(const http::Request& req, const RequestContext& ctx, http::Response& res) {
  res.headers.set("x-ms-request-id", ctx.request_id);
  // Azure answers in the version the client asked for.
  const std::string* version = req.headers.find("x-ms-version");
  res.headers.set("x-ms-version", version && !version->empty() ? *version : std::string(kApiVersion));
  res.headers.set("Server", "Kiln-Blob/1.0 Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0");
  if (const auto* id = req.headers.find("x-ms-client-request-id")) res.headers.set("x-ms-client-request-id", *id);
  res.headers.set("Date", timefmt::rfc1123(timefmt::now()));
}

std::string http_date(int64_t us) { return timefmt::rfc1123(timefmt::from_micros(us)); }
std::string xml_date(int64_t us) { return http_date(us); }

void add_metadata_headers(const Metadata& m, http::Headers& h) {
  for (const auto& [k, v] : m) h.set("x-ms-meta-" + k, v);
}

void add_container_headers(const ContainerRecord& c, int64_t now_us, http::Response& res) {
  auto& h = res.headers;
  h.set("ETag", c.etag);
  h.set("Last-Modified", http_date(c.last_modified_us));
  add_metadata_headers(c.metadata, h);
  add_lease_headers(effective_lease(c.lease, now_us), h);
  if (!c.public_access.empty()) h.set("x-ms-blob-public-access", c.public_access);
  h.set("x-ms-has-immutability-policy", "false");
  h.set("x-ms-has-legal-hold", "false");
  h.set("x-ms-default-encryption-scope", "$account-encryption-key");
  h.set("x-ms-deny-encryption-scope-override", "false");
}

void add_blob_headers(const BlobRecord& b, int64_t now_us, http::Response& res) {
  auto& h = res.headers;
  h.set("ETag", b.etag);
  h.set("Last-Modified", http_date(b.last_modified_us));
  h.set("x-ms-creation-time", http_date(b.created_us));
  h.set("x-ms-blob-type", b.blob_type);
  h.set("Accept-Ranges", "bytes");
  h.set("x-ms-server-encrypted", "true");
  h.set("Content-Type", b.props.content_type.empty() ? "application/octet-stream" : b.props.content_type);
  if (!b.props.content_encoding.empty()) h.set("Content-Encoding", b.props.content_encoding);
  if (!b.props.content_language.empty()) h.set("Content-Language", b.props.content_language);
  if (!b.props.cache_control.empty()) h.set("Cache-Control", b.props.cache_control);
  if (!b.props.content_disposition.empty()) h.set("Content-Disposition", b.props.content_disposition);
  if (!b.props.content_md5.empty()) h.set("Content-MD5", b.props.content_md5);
  add_metadata_headers(b.metadata, h);
  if (!b.tags.empty()) h.set("x-ms-tag-count", std::to_string(b.tags.size()));
  add_immutability_headers(b, h);
  add_customer_key_header(b.customer_key_sha256, h);
  add_version_header(b.version_id, h);
  if (!b.version_id.empty() && b.snapshot.empty()) h.set("x-ms-is-current-version", "true");
  if (b.snapshot.empty()) {
    add_lease_headers(effective_lease(b.lease, now_us), h);
  } else {
    h.set("x-ms-lease-state", "available");
    h.set("x-ms-lease-status", "unlocked");
  }
  if (b.blob_type == "BlockBlob") {
    TierView tier = tier_view(b, now_us);
    h.set("x-ms-access-tier", tier.tier);
    if (tier.inferred) h.set("x-ms-access-tier-inferred", "true");
    if (tier.changed_us) h.set("x-ms-access-tier-change-time", http_date(tier.changed_us));
    if (!tier.archive_status.empty()) {
      h.set("x-ms-archive-status", tier.archive_status);
      h.set("x-ms-rehydrate-priority", tier.rehydrate_priority);
    }
  } else if (b.blob_type == "AppendBlob") {
    h.set("x-ms-blob-committed-block-count", std::to_string(b.append_count));
    if (b.sealed) h.set("x-ms-blob-sealed", "true");
  } else if (b.blob_type == "PageBlob") {
    h.set("x-ms-blob-sequence-number", std::to_string(b.sequence_number));
  }
  if (!b.copy_id.empty()) {
    h.set("x-ms-copy-id", b.copy_id);
    h.set("x-ms-copy-source", b.copy_source);
    h.set("x-ms-copy-status", b.copy_status);
    h.set("x-ms-copy-progress", b.copy_progress);
    h.set("x-ms-copy-completion-time", http_date(b.copy_completion_us));
  }
  if (b.incremental_copy) h.set("x-ms-incremental-copy", "true");
  if (!b.copy_destination_snapshot.empty()) h.set("x-ms-copy-destination-snapshot", b.copy_destination_snapshot);
}

void add_version_header(const std::string& version_id, http::Headers& h) {
  if (!version_id.empty()) h.set("x-ms-version-id", version_id);
}

Metadata read_metadata(const http::Headers& h) {
  Metadata m;
  for (const auto& [name, value] : h.all()) {
    if (name.size() > 10 && strncasecmp(name.c_str(), "x-ms-meta-", 10) == 0) {
      std::string key = name.substr(10);
      if (m.count(key)) m[key] += "," + value;
      else m[key] = value;
    }
  }
  check_metadata(m);
  return m;
}

}  // namespace kiln::blob
