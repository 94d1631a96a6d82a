// Lease state machine shared by containers and blobs (Lease Container / Lease
// Blob), and the checks other operations make against an active lease.
#pragma once

#include <cstdint>
#include <string>

#include "blob/records.h"
#include "core/http_types.h"

namespace kiln::blob {

// The state at `now_us`: a finite lease past its end is "expired", a breaking
// lease past its break time is "broken".
LeaseRecord effective_lease(const LeaseRecord& l, int64_t now_us);
bool lease_active(const LeaseRecord& effective);  // leased or breaking

// Adds x-ms-lease-state / -status / -duration.
void add_lease_headers(const LeaseRecord& effective, http::Headers& h);

enum class LeaseTarget { kContainer, kBlob };

// Applies x-ms-lease-action (acquire/renew/change/release/break) to `lease`.
// Sets response headers (x-ms-lease-id, x-ms-lease-time) and the status (200/201/202).
// Throws Azure's lease errors.
void apply_lease_action(LeaseRecord& lease, const http::Request& req, int64_t now_us, http::Response& res);

// Checks x-ms-lease-id against the lease for a write (`is_write`) or a read.
void check_lease_access(const LeaseRecord& effective, const http::Headers& h, LeaseTarget target, bool is_write);

}  // namespace kiln::blob
