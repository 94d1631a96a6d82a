// List Blobs, flat and hierarchical (delimiter), with paging markers and the
// include= options metadata, snapshots, uncommittedblobs, copy, tags, deleted,
// versions, deletedwithversions, immutabilitypolicy and legalhold.
#include <algorithm>
#include <variant>

#include "blob/access_tier.h"
#include "blob/handlers.h"
#include "blob/lease.h"
#include "blob/listing.h"
#include "blob/response_util.h"
#include "blob/soft_delete.h"
#include "blob/tags.h"
#include "blob/versions.h"
#include "blob/xml_util.h"
#include "core/time_format.h"

namespace kiln::blob {
namespace {

struct Include {
  bool metadata = false, snapshots = false, uncommitted = false, copy = false, tags = false, deleted = false;
  bool versions = false;
  bool immutability_policy = false, legal_hold = false;
  bool deleted_with_versions = false;  // blobs whose current version was deleted, once each (HasVersionsOnly)
};

Include read_include(const http::Request& req) {
  Include inc;
  std::string v = req.query_param("include").value_or("");
  size_t pos = 0;
  while (pos < v.size()) {
    size_t comma = v.find(',', pos);
    std::string item = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? v.size() : comma + 1;
    if (item == "metadata") inc.metadata = true;
    else if (item == "snapshots") inc.snapshots = true;
    else if (item == "uncommittedblobs") inc.uncommitted = true;
    else if (item == "copy") inc.copy = true;
    else if (item == "tags") inc.tags = true;
    else if (item == "deleted") inc.deleted = true;
    else if (item == "versions") inc.versions = true;
    else if (item == "deletedwithversions") inc.deleted_with_versions = true;
    else if (item == "immutabilitypolicy") inc.immutability_policy = true;
    else if (item == "legalhold") inc.legal_hold = true;
    else if (item.empty()) {
    } else {
      throw err::invalid_query_parameter_value("include", v);
    }
  }
  return inc;
}

// One listing entry in order: a blob (or snapshot), a staged-only blob, or a prefix.
struct Entry {
  std::string name;
  std::string snap_key;  // "~" for a base blob (sorts after its snapshots)
  const BlobRecord* blob = nullptr;  // in `pages` of list_blobs: records are never moved
  bool is_prefix = false;
  bool uncommitted = false;
  bool versions_only = false;  // include=deletedwithversions: a blob with no current version
};

void write_blob(XmlWriter& x, const Entry& e, const Include& inc, int64_t now_us) {
  x.open("Blob").elem("Name", e.name);
  if (e.uncommitted) {
    x.open("Properties").elem("Content-Length", "0").elem("BlobType", "BlockBlob").close("Properties");
    x.close("Blob");
    return;
  }
  const BlobRecord& b = *e.blob;
  const bool deleted = is_deleted_snapshot(b.snapshot);
  if (deleted) x.elem("Deleted", "true");
  std::string snapshot = deleted ? original_snapshot(b.snapshot) : b.snapshot;
  if (e.versions_only) {
    x.elem("HasVersionsOnly", "true");
  } else if (is_version_key(snapshot)) {
    x.elem("VersionId", version_of_key(snapshot));
  } else {
    if (!snapshot.empty()) x.elem("Snapshot", snapshot);
    if (!b.version_id.empty()) x.elem("VersionId", b.version_id).elem("IsCurrentVersion", "true");
  }
  std::string etag = b.etag.size() >= 2 ? b.etag.substr(1, b.etag.size() - 2) : b.etag;
  x.open("Properties")
      .elem("Creation-Time", http_date(b.created_us))
      .elem("Last-Modified", http_date(b.last_modified_us))
      .elem("Etag", etag)
      .elem("Content-Length", std::to_string(b.size))
      .elem("Content-Type", b.props.content_type.empty() ? "application/octet-stream" : b.props.content_type)
      .elem("Content-Encoding", b.props.content_encoding)
      .elem("Content-Language", b.props.content_language)
      .elem("Content-MD5", b.props.content_md5)
      .elem("Cache-Control", b.props.cache_control)
      .elem("Content-Disposition", b.props.content_disposition)
      .elem("BlobType", b.blob_type);
  if (b.blob_type == "PageBlob") x.elem("x-ms-blob-sequence-number", std::to_string(b.sequence_number));
  if (b.blob_type == "BlockBlob") {
    TierView tier = tier_view(b, now_us);
    x.elem("AccessTier", tier.tier);
    if (tier.inferred) x.elem("AccessTierInferred", "true");
    if (!tier.archive_status.empty()) x.elem("ArchiveStatus", tier.archive_status).elem("RehydratePriority", tier.rehydrate_priority);
    if (tier.changed_us) x.elem("AccessTierChangeTime", http_date(tier.changed_us));
  }
  LeaseRecord l = b.snapshot.empty() ? effective_lease(b.lease, now_us) : LeaseRecord{};
  x.elem("LeaseStatus", lease_active(l) ? "locked" : "unlocked").elem("LeaseState", l.state);
  if (l.state == "leased") x.elem("LeaseDuration", l.duration < 0 ? "infinite" : "fixed");
  if (inc.copy && !b.copy_id.empty()) {
    x.elem("CopyId", b.copy_id).elem("CopyStatus", b.copy_status).elem("CopySource", b.copy_source)
        .elem("CopyProgress", b.copy_progress).elem("CopyCompletionTime", http_date(b.copy_completion_us));
  }
  if (b.incremental_copy) x.elem("IncrementalCopy", "true");
  if (inc.copy && !b.copy_destination_snapshot.empty()) x.elem("DestinationSnapshot", b.copy_destination_snapshot);
  x.elem("ServerEncrypted", "true");
  if (!b.customer_key_sha256.empty()) x.elem("CustomerProvidedKeySha256", b.customer_key_sha256);
  if (deleted) {
    x.elem("DeletedTime", http_date(b.deleted_us))
        .elem("RemainingRetentionDays", std::to_string(remaining_retention_days(b.deleted_us, b.retention_days, now_us)));
  }
  if (!b.tags.empty()) x.elem("TagCount", std::to_string(b.tags.size()));
  if (b.sealed) x.elem("Sealed", "true");
  if (inc.immutability_policy && b.immutable_until_us) {
    x.elem("ImmutabilityPolicyUntilDate", http_date(b.immutable_until_us)).elem("ImmutabilityPolicyMode", b.immutability_mode);
  }
  if (inc.legal_hold && b.legal_hold) x.elem("LegalHold", "true");
  x.close("Properties");
  if (inc.metadata) {
    x.open("Metadata");
    for (const auto& [k, v] : b.metadata) x.elem(k, v);
    x.close("Metadata");
  }
  if (inc.tags && !b.tags.empty()) write_tags(x, b.tags);
  x.close("Blob");
}

bool entry_before(const Entry& a, const Entry& b) {
  return a.name != b.name ? a.name < b.name : a.snap_key < b.snap_key;
}

}  // namespace

void list_blobs(Call& c) {
  std::string prefix = c.req.query_param("prefix").value_or("");
  std::string delimiter = c.req.query_param("delimiter").value_or("");
  std::string marker = c.req.query_param("marker").value_or("");
  size_t max = read_max_results(c.req);
  Include inc = read_include(c.req);
  auto [cursor_name, cursor_snap] = decode_marker(marker);
  if (cursor_name < prefix) {
    cursor_name = prefix;
    cursor_snap.clear();
  }

  std::vector<std::vector<BlobRecord>> pages;  // what each query returned; entries point into them
  std::vector<Entry> out;  // up to max + 1 (the extra one becomes NextMarker)
  out.reserve(std::min<size_t>(max + 1, 5001));
  std::string last_prefix;
  std::string versions_only_name;  // the blob whose versions were last looked at for deletedwithversions
  c.be.store.read([&](MetadataReader& r) {
    require_container(r, c.ctx);
    bool done = false;
    while (!done && out.size() <= max) {
      size_t want = max + 1 - out.size();
      ListBlobsQuery q;
      q.prefix = prefix;
      q.start_after = cursor_name;
      q.start_after_snapshot = cursor_snap;
      q.include_snapshots = inc.snapshots;
      q.include_deleted = inc.deleted;
      q.include_versions = inc.versions || inc.deleted_with_versions;
      // Rows the listing may skip (versions not asked for): fetch more per query.
      bool may_skip = !inc.versions && (inc.deleted_with_versions || inc.deleted);
      q.limit = may_skip ? std::max<size_t>(want, 256) : want;
      const auto& recs = pages.emplace_back(r.list_blobs(c.ctx.account, c.ctx.container, q));
      std::vector<Entry> batch;
      batch.reserve(recs.size());
      bool recs_full = recs.size() == q.limit;
      for (const auto& b : recs) {
        Entry e;
        e.name = b.name;
        e.snap_key = b.snapshot.empty() ? "~" : b.snapshot;
        e.blob = &b;
        if (!inc.versions && (is_version_key(b.snapshot) || is_version_key(original_snapshot(b.snapshot)))) {
          // Versions asked for by deletedwithversions only: a blob without a
          // current version is listed once, at its first version (a marker
          // there resumes with it; its later versions are skipped).
          if (!inc.deleted_with_versions || !is_version_key(b.snapshot) || b.name == versions_only_name) continue;
          versions_only_name = b.name;
          if (r.get_blob(c.ctx.account, c.ctx.container, b.name, "")) continue;
          e.versions_only = true;
        }
        batch.push_back(std::move(e));
      }
      bool staged_full = false;
      if (inc.uncommitted) {
        auto names = r.list_staged_blob_names(c.ctx.account, c.ctx.container, prefix, cursor_name, want);
        staged_full = names.size() == want;
        std::string last_rec = recs_full && !recs.empty() ? recs.back().name : "";
        std::string last_staged = staged_full && !names.empty() ? names.back() : "";
        for (auto& n : names) {
          if (n == cursor_name && cursor_snap > "~") continue;
          if (recs_full && n > last_rec) break;
          if (r.get_blob(c.ctx.account, c.ctx.container, n, "")) continue;
          Entry e;
          e.name = n;
          e.snap_key = "~";
          e.uncommitted = true;
          batch.push_back(std::move(e));
        }
        if (staged_full) {
          batch.erase(std::remove_if(batch.begin(), batch.end(),
                                     [&](const Entry& e) { return e.name > last_staged; }),
                      batch.end());
        }
        std::sort(batch.begin(), batch.end(), entry_before);
      }
      if (batch.empty()) {
        if (!recs_full) break;
        cursor_name = recs.back().name;  // every row skipped: go on after them
        cursor_snap = (recs.back().snapshot.empty() ? "~" : recs.back().snapshot) + std::string(1, '\x01');
        continue;
      }
      done = !recs_full && !staged_full;
      bool jumped = false;
      for (auto& e : batch) {
        if (!delimiter.empty()) {
          size_t pos = e.name.find(delimiter, prefix.size());
          if (pos != std::string::npos) {
            std::string p = e.name.substr(0, pos + delimiter.size());
            if (p != last_prefix) {
              Entry pe;
              pe.name = p;
              pe.is_prefix = true;
              out.push_back(std::move(pe));
              last_prefix = p;
            }
            // Skip everything under this prefix: no valid UTF-8 byte is 0xFF.
            cursor_name = p + "\xff";
            cursor_snap.clear();
            jumped = true;
            done = false;
            break;
          }
        }
        out.push_back(std::move(e));
        if (out.size() > max) break;
      }
      if (!jumped && !out.empty() && !out.back().is_prefix) {
        cursor_name = out.back().name;
        cursor_snap = out.back().snap_key + std::string(1, '\x01');  // strictly after it
      }
    }
  });
  std::string next_marker;
  if (out.size() > max) {
    const Entry& n = out[max];
    next_marker = encode_marker(n.name, n.is_prefix ? "" : n.snap_key);
    out.resize(max);
  }
  XmlWriter x;
  x.raw("<EnumerationResults ServiceEndpoint=\"" + xml_escape(service_endpoint(c.req, c.ctx)) +
        "\" ContainerName=\"" + xml_escape(c.ctx.container) + "\">");
  if (c.req.has_query("prefix")) x.elem("Prefix", prefix);
  if (c.req.has_query("marker")) x.elem("Marker", marker);
  if (c.req.has_query("maxresults")) x.elem("MaxResults", std::to_string(max));
  if (!delimiter.empty()) x.elem("Delimiter", delimiter);
  x.open("Blobs");
  for (const auto& e : out) {
    if (e.is_prefix) {
      x.open("BlobPrefix").elem("Name", e.name).close("BlobPrefix");
    } else {
      write_blob(x, e, inc, c.ctx.now_us);
    }
  }
  x.close("Blobs").elem("NextMarker", next_marker).close("EnumerationResults");
  c.res.body = x.take();
  c.res.headers.set("Content-Type", "application/xml");
}

}  // namespace kiln::blob
