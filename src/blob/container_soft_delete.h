// Container soft delete (`kiln serve --container-soft-delete-days N`; Azure
// sets it in the account's management plane, which Kiln does not have): a
// deleted container moves, with its blobs and blocks, to a hidden key — the
// account "<account>\x1f" and the name "<name>\x1f<version>" — that no request
// can name, until Restore Container moves it back or its days pass (the
// service's sweep then removes it for good). Its name is free meanwhile.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "blob/metadata_store.h"

namespace kiln::blob {

// Where `account`'s soft-deleted containers are kept.
std::string deleted_containers_account(const std::string& account);

// Moves `rec` (a live container) to the deleted ones, kept for `days`.
void soft_delete_container(MetadataWriter& w, ContainerRecord rec, int64_t now_us, int64_t days);

// The soft-deleted containers of `account` whose names start with `prefix`,
// in (name, version) order from `start` (a list_key), at most `limit`.
std::vector<ContainerRecord> list_deleted_containers(MetadataReader& r, const std::string& account,
                                                     const std::string& prefix, const std::string& start, size_t limit);

// The key a listing of live and deleted containers is ordered and paged by:
// a live container before the deleted ones of its name, those by version.
std::string list_key(const ContainerRecord& c);

// Restore Container: brings back the deleted container `name` of `version`
// as `name`. ContainerNotFound when there is none; ContainerAlreadyExists
// when a live container has the name.
ContainerRecord restore_deleted_container(MetadataWriter& w, const std::string& account, const std::string& name,
                                          const std::string& version);

// Removes the deleted containers of `accounts` whose days have passed (a day
// lasting `day_us`); returns their data files.
std::vector<std::string> purge_deleted_containers(MetadataWriter& w, const std::vector<std::string>& accounts,
                                                  int64_t now_us, int64_t day_us);

}  // namespace kiln::blob
