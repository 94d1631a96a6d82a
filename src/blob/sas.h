// Shared access signatures: parsing the query parameters of a SAS token and
// building the string-to-sign Azure defines for service SAS (blob/container)
// and account SAS, per signed version. Pure functions; no I/O.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kiln::blob {

struct SasToken {
  std::string sv, ss, srt, sp, st, se, sip, spr, sr, si, sig, ses;
  std::string rscc, rscd, rsce, rscl, rsct;
  // A user delegation SAS (signed with a user delegation key, oauth.h): the key's fields,
  // and the object ids and correlation id it may name (signed version 2020-02-10 on).
  std::string skoid, sktid, skt, ske, sks, skv, saoid, suoid, scid;
  // From signed version 2025-07-05 (user delegation): the delegated user's tenant and object id;
  // from 2026-04-06: the names of request headers (srh) and query parameters (srq) it signs.
  std::string skdutid, sduoid, srh, srq;
  bool user_delegation() const { return !skoid.empty(); }
  bool is_account() const { return !ss.empty() || !srt.empty(); }
};

// Returns the token if the query carries a signature ("sig"), else nullopt.
std::optional<SasToken> parse_sas(const std::vector<std::pair<std::string, std::string>>& query);

// "/blob/<account>/<container>[/<blob>]"
std::string sas_canonical_resource(const std::string& account, const std::string& container,
                                   const std::string& blob);

// nullopt for a signed version Kiln cannot verify (before 2015-04-05; a user
// delegation SAS before 2018-11-09). A user delegation SAS signs its key's
// fields where a service SAS signs its stored policy (si).
// `signed_request`: what a user delegation SAS of 2026-04-06 or later signs of
// the request itself (sas_signed_request_part), "\n" apart, headers first.
struct SignedRequestPart {
  std::string headers;  // "name:value\n" per name in srh
  std::string query;    // "\nname:value" per name in srq
};
std::optional<std::string> service_sas_string_to_sign(const SasToken& t, const std::string& canonical_resource,
                                                      const std::string& snapshot,
                                                      const SignedRequestPart& signed_request = {});
// The request headers and query parameters `t` names (srh, srq: comma-separated), as it signs them;
// `header` and `query` look a name up in the request ("" when absent).
SignedRequestPart sas_signed_request_part(const SasToken& t, const std::function<std::string(const std::string&)>& header,
                                          const std::function<std::string(const std::string&)>& query);
std::optional<std::string> account_sas_string_to_sign(const SasToken& t, const std::string& account);

// True if `ip` (IPv4 dotted) is `range` ("a.b.c.d" or "a.b.c.d-e.f.g.h").
// An unparseable range matches nothing.
bool ip_in_range(const std::string& range, const std::string& ip);

}  // namespace kiln::blob
