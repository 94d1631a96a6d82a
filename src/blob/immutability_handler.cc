// Set / Delete Blob Immutability Policy and Set Blob Legal Hold (the rules are
// in immutability.h). They apply to the current version, a previous version
// (?versionid=) or a snapshot, and leave its ETag and Last-Modified as they are.
#include "blob/conditions.h"
#include "blob/handlers.h"
#include "blob/immutability.h"
#include "core/time_format.h"

namespace kiln::blob {
namespace {

// Runs `change` on the addressed version in a write; only If-Unmodified-Since applies.
BlobRecord change_version(Call& c, const std::function<void(BlobRecord&)>& change) {
  if (!c.be.immutability) throw err::immutability_not_enabled();
  Conditions cond;
  cond.if_unmodified_since_us = parse_conditions(c.req.headers).if_unmodified_since_us;
  BlobRecord out;
  c.be.store.write([&](MetadataWriter& w) {
    BlobRecord b = require_blob(w, c.ctx, true);  // written back whole
    check_conditions(cond, true, b.etag, b.last_modified_us, false);
    change(b);
    w.put_blob(b);
    out = std::move(b);
  });
  return out;
}

}  // namespace

void set_blob_immutability_policy(Call& c) {
  ImmutabilitySettings s = read_immutability_headers(c.req.headers, c.ctx.now_us);
  if (!s.until_us) throw err::missing_required_header("x-ms-immutability-policy-until-date");
  BlobRecord b = change_version(c, [&](BlobRecord& b) { set_immutability_policy(b, *s.until_us, s.mode); });
  c.res.headers.set("x-ms-immutability-policy-until-date", timefmt::rfc1123(timefmt::from_micros(b.immutable_until_us)));
  c.res.headers.set("x-ms-immutability-policy-mode", b.immutability_mode);
}

void delete_blob_immutability_policy(Call& c) {
  change_version(c, [&](BlobRecord& b) { delete_immutability_policy(b); });
}

void set_blob_legal_hold(Call& c) {
  ImmutabilitySettings s = read_immutability_headers(c.req.headers, c.ctx.now_us);
  if (!s.legal_hold) throw err::missing_required_header("x-ms-legal-hold");
  BlobRecord b = change_version(c, [&](BlobRecord& b) { b.legal_hold = *s.legal_hold; });
  c.res.headers.set("x-ms-legal-hold", b.legal_hold ? "true" : "false");
}

}  // namespace kiln::blob
