// The Azure Blob error factory: one function per Azure error code, so every
// handler answers a given condition with the same status, code and message as
// Azure. Handlers throw the returned AzureError; BlobService::handle catches it
// and serializes it (XML body + x-ms-error-code header). Expected errors never
// leave the Blob service as exceptions.
#pragma once

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "core/http_types.h"

namespace kiln::blob {

struct AzureError : std::exception {
  int status = 500;
  std::string code;
  std::string message;  // first line of <Message>; RequestId and Time are appended
  std::vector<std::pair<std::string, std::string>> details;  // extra XML elements
  AzureError(int s, std::string c, std::string m) : status(s), code(std::move(c)), message(std::move(m)) {}
  const char* what() const noexcept override { return code.c_str(); }
};

// Fills `res` with the XML error body and headers. HEAD responses keep only the headers.
void write_error(const AzureError& e, const std::string& request_id, http::Response& res);

namespace err {
AzureError authentication_failed(const std::string& detail = "");
AzureError authorization_failure();
AzureError authorization_permission_mismatch();
AzureError authorization_resource_type_mismatch();
AzureError authorization_service_mismatch();
AzureError authorization_protocol_mismatch();
AzureError authorization_source_ip_mismatch();
AzureError no_authentication_information();
AzureError resource_not_found();
AzureError account_not_found();  // unknown account: Azure answers with a DNS failure; we use 404
AzureError container_not_found();
AzureError container_already_exists();
AzureError container_being_deleted();
AzureError blob_not_found();
AzureError blob_already_exists();
AzureError blob_is_sealed();
AzureError invalid_resource_name();
AzureError invalid_uri();
AzureError out_of_range_input(const std::string& what = "");
AzureError invalid_query_parameter_value(const std::string& name, const std::string& value,
                                         const std::string& reason = "");
AzureError invalid_header_value(const std::string& name, const std::string& value);
AzureError missing_required_header(const std::string& name);
AzureError missing_required_query_parameter(const std::string& name);
AzureError missing_content_length_header();
AzureError invalid_xml_document();
AzureError invalid_xml_node_value(const std::string& node, const std::string& value);
AzureError invalid_input();
AzureError invalid_metadata();
AzureError invalid_range();
AzureError invalid_block_id();
AzureError invalid_block_list();
AzureError invalid_blob_or_block();
AzureError invalid_blob_type();
AzureError invalid_md5();
AzureError md5_mismatch(const std::string& expected, const std::string& actual);
AzureError crc64_mismatch(const std::string& expected, const std::string& actual);
AzureError request_body_too_large();
AzureError unsupported_http_verb();
AzureError unsupported_header(const std::string& name);
AzureError unsupported_query_parameter(const std::string& name);
AzureError invalid_http_verb();
AzureError feature_not_supported(const std::string& what);
AzureError condition_not_met();
AzureError target_condition_not_met();
AzureError source_condition_not_met();
AzureError cannot_verify_copy_source(int status, const std::string& message);
AzureError write_operation_not_supported_on_secondary();
AzureError snapshots_present();
AzureError snapshot_operation_rate_exceeded();
AzureError public_access_not_permitted();
AzureError invalid_operation(const std::string& message);
AzureError max_blob_size_condition_not_met();
AzureError append_position_condition_not_met();
AzureError block_count_exceeds_limit();
AzureError block_list_too_long();
// Page blobs.
AzureError invalid_page_range();
AzureError sequence_number_condition_not_met();
AzureError sequence_number_increment_too_large();
AzureError previous_snapshot_not_found();
AzureError previous_snapshot_cannot_be_newer();
AzureError incremental_copy_source_must_be_snapshot();
AzureError incremental_copy_blob_mismatch();
AzureError incremental_copy_of_earlier_snapshot_not_allowed();
AzureError operation_not_allowed_on_incremental_copy_blob();
// Access tiers (access_tier.h).
AzureError blob_archived();
AzureError blob_being_rehydrated();
// Versions (versions.h): the current version may not be deleted by its id.
AzureError operation_not_allowed_on_root_blob();
// Version-level immutability (immutability.h).
AzureError blob_immutable_due_to_legal_hold();
AzureError blob_immutable_due_to_policy();
AzureError immutability_policy_delete_on_locked_policy();
AzureError container_immutable_storage_with_versioning_enabled();
AzureError immutability_not_enabled();  // Kiln started without --blob-immutability
// Customer-provided keys (customer_key.h).
AzureError blob_uses_customer_specified_encryption();
AzureError blob_does_not_use_customer_specified_encryption();
AzureError blob_customer_specified_encryption_mismatch();
// Bearer tokens (kiln serve --oauth): 401 with why the token was refused.
AzureError invalid_authentication_info(const std::string& why);
AzureError cors_preflight_failure();
AzureError internal_error();
// Leases.
AzureError lease_id_missing();
AzureError lease_id_mismatch_with_lease_operation();
AzureError lease_id_mismatch_with_blob_operation();
AzureError lease_id_mismatch_with_container_operation();
AzureError lease_not_present_with_lease_operation();
AzureError lease_not_present_with_blob_operation();
AzureError lease_not_present_with_container_operation();
AzureError lease_already_present();
AzureError lease_already_broken();
AzureError lease_is_breaking_and_cannot_be_acquired();
AzureError lease_is_breaking_and_cannot_be_changed();
AzureError lease_is_broken_and_cannot_be_renewed();
AzureError lease_lost();
}  // namespace err

}  // namespace kiln::blob
