#include "blob/versions.h"

#include "blob/errors.h"
#include "blob/soft_delete.h"
#include "core/time_format.h"

namespace kiln::blob {
namespace {

std::string version_time(int64_t us) { return timefmt::iso8601(timefmt::from_micros(us), 7); }

}  // namespace

bool is_version_key(const std::string& snapshot) { return !snapshot.empty() && snapshot[0] == 'v'; }

std::string version_key(const std::string& version_id) { return "v" + version_id; }

std::string version_of_key(const std::string& key) { return is_version_key(key) ? key.substr(1) : ""; }

std::string version_id_of(const BlobRecord& b) {
  return b.version_id.empty() ? version_time(b.last_modified_us) : b.version_id;
}

std::string next_version_id(const std::optional<BlobRecord>& old, int64_t now_us) {
  std::string id = version_time(now_us);
  if (!old) return id;
  // Two writes within one microsecond (or a clock set back) still get ordered, distinct ids.
  std::string previous = version_id_of(*old);
  if (id > previous) return id;
  auto t = timefmt::parse_iso8601(previous);
  return version_time((t ? timefmt::to_micros(*t) : now_us) + 1);
}

void keep_as_previous_version(MetadataWriter& w, const BlobRecord& current, BlobFiles* files,
                              std::vector<std::string>* linked) {
  BlobRecord v = *w.get_blob(current.account, current.container, current.name, "", true);
  v.version_id = version_id_of(v);
  v.snapshot = version_key(v.version_id);
  v.lease = LeaseRecord{};
  if (files && !v.file.empty()) {
    v.file = files->link(v.file);
    if (linked) linked->push_back(v.file);
    w.sync_dir_before_commit(files->dir());
  }
  w.put_blob(v);
}

bool keep_replaced(MetadataWriter& w, bool versioning, const BlobRecord& old, int64_t now_us) {
  if (!versioning) return keep_overwritten(w, old, now_us);
  keep_as_previous_version(w, old);
  return true;
}

void check_snapshot_and_version(const RequestContext& ctx) {
  if (!ctx.snapshot.empty() && !timefmt::parse_iso8601(ctx.snapshot))
    throw err::invalid_query_parameter_value("snapshot", ctx.snapshot);
  if (ctx.version_id.empty()) return;
  if (!timefmt::parse_iso8601(ctx.version_id)) throw err::invalid_query_parameter_value("versionid", ctx.version_id);
  switch (ctx.op) {
    case Operation::kGetBlob:
    case Operation::kGetBlobProperties:
    case Operation::kGetBlobMetadata:
    case Operation::kDeleteBlob:
    case Operation::kGetBlobTags:
    case Operation::kSetBlobTags:
    case Operation::kSetBlobTier:
    case Operation::kSetBlobImmutabilityPolicy:
    case Operation::kDeleteBlobImmutabilityPolicy:
    case Operation::kSetBlobLegalHold:
      break;
    default:
      throw err::invalid_query_parameter_value("versionid", ctx.version_id);
  }
  if (!ctx.snapshot.empty()) throw err::invalid_query_parameter_value("versionid", ctx.version_id);
}

std::optional<BlobRecord> get_version(MetadataReader& r, const RequestContext& ctx, bool with_blocks) {
  auto v = r.get_blob(ctx.account, ctx.container, ctx.blob, version_key(ctx.version_id), with_blocks);
  if (v) return v;
  auto current = r.get_blob(ctx.account, ctx.container, ctx.blob, "", with_blocks);
  if (current && current->version_id == ctx.version_id) return current;
  return std::nullopt;
}

}  // namespace kiln::blob
