#include "core/accounts.h"

#include <cstdlib>
#include <stdexcept>

#include "core/crypto.h"

namespace kiln {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) break;
    s = s.substr(p + 1);
  }
  return out;
}

Account dev_account() {
  return Account{std::string(kDevAccountName), {*crypto::base64_decode(kDevAccountKey)}};
}

}  // namespace

AccountRegistry::AccountRegistry() { accounts_.push_back(dev_account()); }

AccountRegistry AccountRegistry::from_spec(std::string_view spec) {
  AccountRegistry reg;
  for (std::string_view entry : split(spec, ';')) {
    if (entry.empty()) continue;
    auto parts = split(entry, ':');
    if (parts.size() < 2 || parts.size() > 3 || parts[0].empty())
      throw std::invalid_argument("KILN_ACCOUNTS entry must be name:key1[:key2]: " +
                                  std::string(entry));
    Account acct{std::string(parts[0]), {}};
    for (size_t i = 1; i < parts.size(); ++i) {
      auto key = crypto::base64_decode(parts[i]);
      if (!key || key->empty())
        throw std::invalid_argument("account key is not base64: " + std::string(parts[0]));
      acct.keys.push_back(*key);
    }
    bool replaced = false;
    for (auto& a : reg.accounts_)
      if (a.name == acct.name) {
        a = acct;
        replaced = true;
      }
    if (!replaced) reg.accounts_.push_back(std::move(acct));
  }
  return reg;
}

AccountRegistry AccountRegistry::from_environment() {
  const char* spec = std::getenv("KILN_ACCOUNTS");
  return spec ? from_spec(spec) : AccountRegistry();
}

const Account* AccountRegistry::find(std::string_view name) const {
  for (const auto& a : accounts_)
    if (a.name == name) return &a;
  return nullptr;
}

}  // namespace kiln
