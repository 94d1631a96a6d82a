// Shared access signatures: parsing the query parameters of a SAS token and
// building the string-to-sign Azure defines for service SAS (blob/container)
// and account SAS, per signed version. Pure functions; no I/O.
#pragma once

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
std::optional<std::string> service_sas_string_to_sign(const SasToken& t, const std::string& canonical_resource,
                                                      const std::string& snapshot);
std::optional<std::string> account_sas_string_to_sign(const SasToken& t, const std::string& account);

// True if `ip` (IPv4 dotted) is `range` ("a.b.c.d" or "a.b.c.d-e.f.g.h").
// An unparseable range matches nothing.
bool ip_in_range(const std::string& range, const std::string& ip);

}  // namespace kiln::blob
