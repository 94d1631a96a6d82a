// Storage/Batch accounts and their keys, configured like Azurite's
// AZURITE_ACCOUNTS: KILN_ACCOUNTS="name1:key1:key2;name2:key1".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

inline constexpr std::string_view kDevAccountName = "devstoreaccount1";
inline constexpr std::string_view kDevAccountKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

struct Account {
  std::string name;
  std::vector<std::string> keys;  // decoded key bytes: primary, then optional secondary
};

class AccountRegistry {
 public:
  // The development account only.
  AccountRegistry();
  // Parses KILN_ACCOUNTS syntax; the development account stays available unless
  // the spec defines it with other keys. Throws std::invalid_argument on bad syntax
  // or a key that is not base64.
  static AccountRegistry from_spec(std::string_view spec);
  // From the KILN_ACCOUNTS environment variable, or the default.
  static AccountRegistry from_environment();

  const Account* find(std::string_view name) const;
  const std::vector<Account>& all() const { return accounts_; }

 private:
  std::vector<Account> accounts_;
};

}  // namespace kiln
