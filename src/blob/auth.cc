#include "blob/auth.h"

#include "blob/errors.h"
#include "blob/oauth.h"
#include "blob/sas.h"
#include "core/crypto.h"
#include "core/shared_key.h"
#include "core/time_format.h"

namespace kiln::blob {
namespace {

constexpr int64_t kMaxClockSkewUs = 15LL * 60 * 1000000;

bool key_matches(const Account& a, const std::string& string_to_sign, const std::string& signature) {
  for (const auto& key : a.keys) {
    if (crypto::equal_constant_time(shared_key::sign(key, string_to_sign), signature)) return true;
  }
  return false;
}

// A user delegation SAS is signed with the key Get User Delegation Key gave
// out, which any of the account's keys derives again from the key's fields.
bool delegation_key_matches(const Account& a, const SasToken& t, const std::string& string_to_sign) {
  UserDelegationKeyFields k{t.skoid, t.sktid, t.skt, t.ske, t.sks, t.skv};
  for (const auto& key : a.keys) {
    auto value = crypto::base64_decode(user_delegation_key_value(key, k));
    if (value && crypto::equal_constant_time(shared_key::sign(*value, string_to_sign), t.sig)) return true;
  }
  return false;
}

void check_shared_key(const http::Request& req, const RequestContext& ctx, const std::string& header) {
  shared_key::Authorization auth;
  if (!shared_key::parse_authorization(header, auth)) {
    throw err::authentication_failed("Authentication scheme is not supported: only SharedKey, SharedKeyLite, SAS "
                                     "and, with kiln serve --oauth, Bearer.");
  }
  if (auth.account != ctx.account) {
    throw err::authentication_failed("The MAC signature found in the HTTP request is not the same as any computed signature.");
  }
  std::string date = req.headers.get("x-ms-date");
  if (date.empty()) date = req.headers.get("date");
  if (date.empty()) throw err::authentication_failed("Request date header not specified.");
  auto t = timefmt::parse_rfc1123(date);
  if (!t) throw err::authentication_failed("Request date header not in the correct format.");
  int64_t skew = timefmt::to_micros(*t) - ctx.now_us;
  if (skew > kMaxClockSkewUs || skew < -kMaxClockSkewUs) {
    throw err::authentication_failed("Request date header too old: '" + date + "'");
  }
  shared_key::SignedRequest sr{req.method, req.raw_path, req.query, &req.headers};
  std::string sts = auth.scheme == "SharedKeyLite" ? shared_key::string_to_sign_lite(sr, ctx.account)
                                                   : shared_key::string_to_sign(shared_key::Service::kBlob, sr, ctx.account);
  if (!key_matches(*ctx.acct, sts, auth.signature)) {
    std::string shown = sts;
    for (char& c : shown)
      if (c == '\n') c = ' ';
    throw err::authentication_failed("The MAC signature found in the HTTP request '" + auth.signature +
                                     "' is not the same as any computed signature. Server used following "
                                     "string to sign: '" + shown + "'.");
  }
}

std::optional<int64_t> sas_time(const std::string& s) {
  auto t = timefmt::parse_iso8601(s);
  if (!t) return std::nullopt;
  return timefmt::to_micros(*t);
}

bool has_any(const std::string& granted, const char* needed) {
  for (const char* p = needed; *p; ++p)
    if (granted.find(*p) != std::string::npos) return true;
  return false;
}

void check_common(const SasToken& t, const std::string& start, const std::string& expiry,
                  const std::string& remote, bool secure, int64_t now_us) {
  if (expiry.empty()) throw err::authentication_failed("Signed expiry time must be specified.");
  auto se = sas_time(expiry);
  if (!se) throw err::authentication_failed("se is mandatory. Cannot be empty");
  std::optional<int64_t> st;
  if (!start.empty()) {
    st = sas_time(start);
    if (!st) throw err::authentication_failed("Signed start time is not in the correct format.");
  }
  if (now_us >= *se || (st && now_us < *st)) {
    throw err::authentication_failed("Signed expiry time [" + expiry + "] must be after signed start time [" +
                                     start + "] and the current time.");
  }
  if (!t.sip.empty() && !ip_in_range(t.sip, remote)) throw err::authorization_source_ip_mismatch();
  if (!t.spr.empty()) {
    if (t.spr != "https" && t.spr != "https,http" && t.spr != "http,https") {
      throw err::authentication_failed("Signed protocol must be https or https,http.");
    }
    if (t.spr == "https" && !secure) throw err::authorization_protocol_mismatch();
  }
}

void check_account_sas(const SasToken& t, const Account& account, const OperationInfo& op,
                       const std::string& remote, bool secure, int64_t now_us) {
  auto sts = account_sas_string_to_sign(t, account.name);
  if (!sts) throw err::authentication_failed("Signed version is not supported.");
  if (!key_matches(account, *sts, t.sig)) {
    throw err::authentication_failed("Signature did not match. String to sign used was " + *sts);
  }
  check_common(t, t.st, t.se, remote, secure, now_us);
  if (t.ss.find('b') == std::string::npos) throw err::authorization_service_mismatch();
  char needed = op.resource == ResourceType::kService ? 's' : op.resource == ResourceType::kContainer ? 'c' : 'o';
  if (t.srt.find(needed) == std::string::npos) throw err::authorization_resource_type_mismatch();
  if (!has_any(t.sp, op.sas_perms)) throw err::authorization_permission_mismatch();
}

// The user delegation key's own fields: for the Blob service, within its validity, and no stored policy.
void check_delegation_key(const SasToken& t, int64_t now_us) {
  if (!t.si.empty()) throw err::authentication_failed("A user delegation SAS cannot name a stored access policy (si).");
  if (t.sks.find('b') == std::string::npos) throw err::authentication_failed("The user delegation key is not for the Blob service (sks).");
  auto skt = sas_time(t.skt), ske = sas_time(t.ske);
  if (!skt || !ske) throw err::authentication_failed("The user delegation key's start (skt) and expiry (ske) must be ISO 8601 times.");
  if (now_us < *skt || now_us >= *ske) {
    throw err::authentication_failed("The user delegation key is not valid at the current time: [" + t.skt + ", " + t.ske + "].");
  }
}

// `snapshot` / `version_id`: what the request's ?snapshot= / ?versionid= name; a
// SAS for one snapshot (sr=bs) or version (sr=bv) signs that time.
void check_service_sas(const SasToken& t, const Account& account, const std::string& container,
                       const std::string& blob, const std::string& snapshot, const std::string& version_id,
                       const OperationInfo& op,
                       const std::string& remote, bool secure, int64_t now_us, const ContainerLoader& load,
                       const SignedRequestPart& signed_request = {}) {
  if (container.empty()) throw err::authorization_resource_type_mismatch();
  bool blob_scoped = t.sr == "b" || t.sr == "bs" || t.sr == "bv";
  if (t.sr != "c" && !blob_scoped) {
    throw err::authentication_failed("Signed resource is not valid: '" + t.sr + "'.");
  }
  if (blob_scoped && blob.empty()) throw err::authorization_resource_type_mismatch();
  std::string resource = sas_canonical_resource(account.name, container, blob_scoped ? blob : "");
  auto sts = service_sas_string_to_sign(t, resource, t.sr == "bs" ? snapshot : t.sr == "bv" ? version_id : "",
                                       signed_request);
  if (!sts) throw err::authentication_failed("Signed version is not supported.");
  if (t.user_delegation()) {
    check_delegation_key(t, now_us);
    if (!delegation_key_matches(account, t, *sts)) {
      throw err::authentication_failed("Signature did not match. String to sign used was " + *sts);
    }
  } else if (!key_matches(account, *sts, t.sig)) {
    throw err::authentication_failed("Signature did not match. String to sign used was " + *sts);
  }
  std::string sp = t.sp, st = t.st, se = t.se;
  if (!t.si.empty()) {
    auto c = load();
    const AccessPolicy* policy = nullptr;
    if (c)
      for (const auto& p : c->policies)
        if (p.id == t.si) policy = &p;
    if (!policy) throw err::authentication_failed("Signed identifier '" + t.si + "' was not found.");
    if ((!policy->permission.empty() && !sp.empty()) || (!policy->start.empty() && !st.empty()) ||
        (!policy->expiry.empty() && !se.empty())) {
      throw err::authentication_failed("A field is specified both in the SAS and in the stored access policy.");
    }
    if (sp.empty()) sp = policy->permission;
    if (st.empty()) st = policy->start;
    if (se.empty()) se = policy->expiry;
  }
  check_common(t, st, se, remote, secure, now_us);
  if (op.resource == ResourceType::kService) throw err::authorization_resource_type_mismatch();
  if (!has_any(sp, op.sas_perms)) throw err::authorization_permission_mismatch();
}

// Operations an anonymous caller may make under each public access level.
bool public_allows(const std::string& level, Operation op) {
  bool blob_read = op == Operation::kGetBlob || op == Operation::kGetBlobProperties ||
                   op == Operation::kGetBlobMetadata || op == Operation::kGetBlockList;
  if (level == "blob") return blob_read;
  if (level == "container") {
    return blob_read || op == Operation::kListBlobs || op == Operation::kGetContainerProperties ||
           op == Operation::kGetContainerMetadata;
  }
  return false;
}

}  // namespace

void authorize(const http::Request& req, RequestContext& ctx, const ContainerLoader& load_container,
               bool accept_bearer_tokens) {
  if (ctx.op == Operation::kPreflight) return;
  OperationInfo op = info(ctx.op);
  // Deleting a previous version takes its own SAS permission: x (delete version).
  if (ctx.op == Operation::kDeleteBlob && !ctx.version_id.empty()) op.sas_perms = "x";
  if (const std::string* header = req.headers.find("authorization")) {
    if (accept_bearer_tokens && header->rfind("Bearer ", 0) == 0) {
      if (!req.secure) {
        throw err::invalid_authentication_info("Authentication with a bearer token requires HTTPS.");
      }
      ctx.bearer = check_bearer_token(std::string_view(*header).substr(7), ctx.account, ctx.now_us);
      return;  // no Azure RBAC: a bearer caller may do everything
    }
    check_shared_key(req, ctx, *header);
    return;
  }
  if (auto sas = parse_sas(req.query)) {
    if (sas->is_account()) {
      check_account_sas(*sas, *ctx.acct, op, req.remote_address, req.secure, ctx.now_us);
    } else {
      auto signed_request = sas_signed_request_part(
          *sas, [&](const std::string& name) { return req.headers.get(name); },
          [&](const std::string& name) { return req.query_param(name).value_or(""); });
      check_service_sas(*sas, *ctx.acct, ctx.container, ctx.blob, ctx.snapshot, ctx.version_id, op, req.remote_address,
                        req.secure, ctx.now_us, load_container, signed_request);
    }
    return;
  }
  // Anonymous: only reads the container's public access level allows.
  if (op.resource != ResourceType::kService) {
    auto c = load_container();
    if (c && public_allows(c->public_access, ctx.op)) {
      ctx.anonymous = true;
      return;
    }
    throw err::resource_not_found();
  }
  throw err::no_authentication_information();
}

void authorize_sas_read(const std::vector<std::pair<std::string, std::string>>& query, const Account& account,
                        const std::string& container, const std::string& blob, const std::string& snapshot,
                        const std::string& version_id, const std::string& remote_address, bool secure, int64_t now_us,
                        const ContainerLoader& load_container) {
  auto sas = parse_sas(query);
  const OperationInfo& op = info(Operation::kGetBlob);
  if (!sas) {
    auto c = load_container();
    if (c && public_allows(c->public_access, Operation::kGetBlob)) return;
    throw err::resource_not_found();
  }
  if (sas->is_account()) {
    check_account_sas(*sas, account, op, remote_address, secure, now_us);
  } else {
    check_service_sas(*sas, account, container, blob, snapshot, version_id, op, remote_address, secure, now_us,
                      load_container);
  }
}

}  // namespace kiln::blob
