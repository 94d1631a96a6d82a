#include "blob/container_soft_delete.h"

#include <cstdint>
#include <cstdio>

#include "blob/errors.h"

namespace kiln::blob {
namespace {

constexpr char kSeparator = '\x1f';  // in no account or container name

std::string deleted_key(const std::string& name, const std::string& version) { return name + kSeparator + version; }

// Azure's versions are 16 hexadecimal digits; these are the deletion time in
// 100 ns ticks, so a name's versions list in the order they were deleted.
std::string new_version(int64_t now_us) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llX", static_cast<unsigned long long>(now_us) * 10ull);
  return buf;
}

}  // namespace

std::string deleted_containers_account(const std::string& account) { return account + kSeparator; }

std::string list_key(const ContainerRecord& c) { return c.deleted_us ? deleted_key(c.name, c.version) : c.name + kSeparator; }

void soft_delete_container(MetadataWriter& w, ContainerRecord rec, int64_t now_us, int64_t days) {
  rec.version = new_version(now_us);
  const std::string hidden_account = deleted_containers_account(rec.account);
  const std::string hidden_name = deleted_key(rec.name, rec.version);
  w.move_container(rec.account, rec.name, hidden_account, hidden_name);
  rec.account = hidden_account;
  rec.name = hidden_name;
  rec.deleted_us = now_us;
  rec.retention_days = days;
  rec.lease = LeaseRecord{};
  w.put_container(rec);
}

std::vector<ContainerRecord> list_deleted_containers(MetadataReader& r, const std::string& account,
                                                     const std::string& prefix, const std::string& start, size_t limit) {
  std::vector<ContainerRecord> out = r.list_containers(deleted_containers_account(account), prefix, start, limit);
  for (auto& c : out) {  // as the client sees them
    c.account = account;
    c.name = c.name.substr(0, c.name.find(kSeparator));
  }
  return out;
}

ContainerRecord restore_deleted_container(MetadataWriter& w, const std::string& account, const std::string& name,
                                          const std::string& version) {
  const std::string hidden_account = deleted_containers_account(account);
  const std::string hidden_name = deleted_key(name, version);
  auto rec = w.get_container(hidden_account, hidden_name);
  if (!rec) throw err::container_not_found();
  if (w.get_container(account, name)) throw err::container_already_exists();
  w.move_container(hidden_account, hidden_name, account, name);
  rec->account = account;
  rec->name = name;
  rec->deleted_us = rec->retention_days = 0;
  rec->version.clear();
  w.put_container(*rec);
  return *rec;
}

std::vector<std::string> purge_deleted_containers(MetadataWriter& w, const std::vector<std::string>& accounts,
                                                  int64_t now_us, int64_t day_us) {
  std::vector<std::string> files;
  for (const auto& account : accounts) {
    const std::string hidden_account = deleted_containers_account(account);
    for (const auto& c : w.list_containers(hidden_account, "", "", SIZE_MAX)) {
      if (c.deleted_us + c.retention_days * day_us > now_us) continue;
      auto doomed = w.delete_container(hidden_account, c.name);
      files.insert(files.end(), doomed.begin(), doomed.end());
    }
  }
  return files;
}

}  // namespace kiln::blob
