// Resource handlers: one function per operation, grouped by resource the way
// the REST API groups them. Each reads/writes through Call::be and fills Call::res.
#pragma once

#include "blob/handler_common.h"
#include "blob/page_layout.h"

namespace kiln::blob {

// service_handler.cc
void get_service_properties(Call& c);
void set_service_properties(Call& c);
void get_service_stats(Call& c);
void list_containers(Call& c);
void get_account_info(Call& c);
void get_user_delegation_key(Call& c);

// cors.cc
void preflight(Call& c);
void add_cors_headers(Call& c);  // on actual requests carrying Origin

// container_handler.cc
void create_container(Call& c);
void delete_container(Call& c);
void restore_container(Call& c);
void rename_container(Call& c);
void get_container_properties(Call& c);
void set_container_metadata(Call& c);
void get_container_acl(Call& c);
void set_container_acl(Call& c);
void lease_container(Call& c);

// list_blobs_handler.cc
void list_blobs(Call& c);

// blob_handler.cc
void get_blob(Call& c, bool head);
void put_blob(Call& c);
void delete_blob(Call& c);  // soft-deleted under a retention policy (soft_delete.h)
void undelete_blob(Call& c);
void set_blob_properties(Call& c);
void get_blob_metadata(Call& c);
void set_blob_metadata(Call& c);
void lease_blob(Call& c);
void snapshot_blob(Call& c);
void set_blob_tier(Call& c);

// query_handler.cc
void query_blob(Call& c);

// immutability_handler.cc
void set_blob_immutability_policy(Call& c);
void delete_blob_immutability_policy(Call& c);
void set_blob_legal_hold(Call& c);

// tags_handler.cc
void set_blob_tags(Call& c);
void get_blob_tags(Call& c);
void find_blobs_by_tags(Call& c);  // account or container level

// block_handler.cc
void put_block(Call& c);
// Put Block's parts that Put Block From URL shares: the checked block id, and
// staging `file` (a new durable data file the call now owns) as that block.
std::string require_block_id(Call& c);
void stage_block(Call& c, const std::string& id, const std::string& file, uint64_t size);
void put_block_list(Call& c);
void get_block_list(Call& c);
void append_block(Call& c);
// Append Block's part that Append Block From URL shares: appends `bytes` under
// the request's append conditions, and answers; `md5` (base64, may be empty)
// is returned as Content-MD5.
void append_bytes(Call& c, const WriteBytes& bytes, const std::string& md5);
// Seal Append Blob: the blob takes no more blocks (409 BlobIsSealed).
void seal_append_blob(Call& c);

// page_handler.cc
void put_page(Call& c);  // update and clear
// Put Page's part that Put Page From URL shares: writes `bytes` (nullptr:
// clears) to the pages of `range` under the request's conditions, and answers;
// `md5` (base64, may be empty) is returned as Content-MD5.
void write_pages(Call& c, PageRange range, const WriteBytes* bytes, const std::string& md5);
// The destination range (x-ms-range or Range) of a page write: whole pages, or InvalidHeaderValue.
PageRange require_page_range(const http::Headers& h);
void get_page_ranges(Call& c);  // also the diff against ?prevsnapshot=
// Set Blob Properties carrying a page blob's new size or sequence number action.
bool is_page_blob_properties(const http::Headers& h);
void set_page_blob_properties(Call& c);
// A new page blob's size and sequence number from Put Blob's headers (checked).
struct NewPageBlob {
  uint64_t size = 0;
  int64_t sequence_number = 0;
};
NewPageBlob read_new_page_blob(const http::Headers& h, uint64_t body_bytes);

// copy_handler.cc
void copy_blob(Call& c);
void put_blob_from_url(Call& c);
void put_block_from_url(Call& c);
void append_block_from_url(Call& c);
void put_page_from_url(Call& c);
// Incremental Copy Blob: a page blob snapshot of this service to a destination
// that then takes only further incremental copies from the same blob.
void incremental_copy_blob(Call& c);
void abort_copy_blob(Call& c);

}  // namespace kiln::blob
