#include "blob/errors.h"

#include "blob/xml_util.h"
#include "core/time_format.h"

namespace kiln::blob {

void write_error(const AzureError& e, const std::string& request_id, http::Response& res) {
  res.status = e.status;
  res.headers.set("x-ms-error-code", e.code);
  res.headers.set("Content-Type", "application/xml");
  std::string body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" + xml_escape(e.code) +
                     "</Code><Message>" +
                     xml_escape(e.message + "\nRequestId:" + request_id +
                                "\nTime:" + timefmt::iso8601(timefmt::now())) +
                     "</Message>";
  for (const auto& [k, v] : e.details) body += "<" + k + ">" + xml_escape(v) + "</" + k + ">";
  body += "</Error>";
  res.body = std::move(body);
}

namespace err {
namespace {
AzureError make(int s, const char* c, std::string m) { return AzureError(s, c, std::move(m)); }
}  // namespace

AzureError authentication_failed(const std::string& detail) {
  auto e = make(403, "AuthenticationFailed",
                "Server failed to authenticate the request. Make sure the value of Authorization "
                "header is formed correctly including the signature.");
  if (!detail.empty()) e.details.push_back({"AuthenticationErrorDetail", detail});
  return e;
}
AzureError authorization_failure() {
  return make(403, "AuthorizationFailure", "This request is not authorized to perform this operation.");
}
AzureError authorization_permission_mismatch() {
  return make(403, "AuthorizationPermissionMismatch",
              "This request is not authorized to perform this operation using this permission.");
}
AzureError authorization_resource_type_mismatch() {
  return make(403, "AuthorizationResourceTypeMismatch",
              "This request is not authorized to perform this operation using this resource type.");
}
AzureError authorization_service_mismatch() {
  return make(403, "AuthorizationServiceMismatch",
              "This request is not authorized to perform this operation using this service.");
}
AzureError authorization_protocol_mismatch() {
  return make(403, "AuthorizationProtocolMismatch",
              "This request is not authorized to perform this operation using this protocol.");
}
AzureError authorization_source_ip_mismatch() {
  return make(403, "AuthorizationSourceIPMismatch",
              "This request is not authorized to perform this operation using this source IP.");
}
AzureError no_authentication_information() {
  return make(401, "NoAuthenticationInformation",
              "Server failed to authenticate the request. Please refer to the information in the "
              "www-authenticate header.");
}
AzureError resource_not_found() { return make(404, "ResourceNotFound", "The specified resource does not exist."); }
AzureError account_not_found() {
  return make(404, "ResourceNotFound", "The specified account does not exist.");
}
AzureError container_not_found() { return make(404, "ContainerNotFound", "The specified container does not exist."); }
AzureError container_already_exists() {
  return make(409, "ContainerAlreadyExists", "The specified container already exists.");
}
AzureError container_being_deleted() {
  return make(409, "ContainerBeingDeleted", "The specified container is being deleted. Try operation later.");
}
AzureError blob_not_found() { return make(404, "BlobNotFound", "The specified blob does not exist."); }
AzureError blob_already_exists() { return make(409, "BlobAlreadyExists", "The specified blob already exists."); }
AzureError blob_is_sealed() { return make(409, "BlobIsSealed", "The blob is sealed and its contents cannot be modified."); }
AzureError invalid_resource_name() {
  return make(400, "InvalidResourceName", "The specifed resource name contains invalid characters.");
}
AzureError invalid_uri() { return make(400, "InvalidUri", "The requested URI does not represent any resource on the server."); }
AzureError out_of_range_input(const std::string& what) {
  return make(400, "OutOfRangeInput", what.empty() ? "One of the request inputs is out of range." : what);
}
AzureError invalid_query_parameter_value(const std::string& name, const std::string& value,
                                         const std::string& reason) {
  auto e = make(400, "InvalidQueryParameterValue",
                "Value for one of the query parameters specified in the request URI is invalid.");
  e.details.push_back({"QueryParameterName", name});
  e.details.push_back({"QueryParameterValue", value});
  if (!reason.empty()) e.details.push_back({"Reason", reason});
  return e;
}
AzureError invalid_header_value(const std::string& name, const std::string& value) {
  auto e = make(400, "InvalidHeaderValue",
                "The value for one of the HTTP headers is not in the correct format.");
  e.details.push_back({"HeaderName", name});
  e.details.push_back({"HeaderValue", value});
  return e;
}
AzureError missing_required_header(const std::string& name) {
  auto e = make(400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified.");
  e.details.push_back({"HeaderName", name});
  return e;
}
AzureError missing_required_query_parameter(const std::string& name) {
  auto e = make(400, "MissingRequiredQueryParameter",
                "A query parameter that's mandatory for this request is not specified.");
  e.details.push_back({"QueryParameterName", name});
  return e;
}
AzureError missing_content_length_header() {
  return make(411, "MissingContentLengthHeader", "The Content-Length header was not specified.");
}
AzureError invalid_xml_document() {
  return make(400, "InvalidXmlDocument", "XML specified is not syntactically valid.");
}
AzureError invalid_xml_node_value(const std::string& node, const std::string& value) {
  auto e = make(400, "InvalidXmlNodeValue", "The value for one of the XML nodes is not in the correct format.");
  e.details.push_back({"XmlNodeName", node});
  e.details.push_back({"XmlNodeValue", value});
  return e;
}
AzureError invalid_input() { return make(400, "InvalidInput", "One of the request inputs is not valid."); }
AzureError invalid_metadata() {
  return make(400, "InvalidMetadata", "The metadata specified is invalid. It has characters that are not permitted.");
}
AzureError invalid_range() { return make(416, "InvalidRange", "The range specified is invalid for the current size of the resource."); }
AzureError invalid_block_id() { return make(400, "InvalidBlockId", "The specified block ID is invalid. The block ID must be Base64-encoded."); }
AzureError invalid_block_list() { return make(400, "InvalidBlockList", "The specified block list is invalid."); }
AzureError invalid_blob_or_block() { return make(400, "InvalidBlobOrBlock", "The specified blob or block content is invalid."); }
AzureError invalid_blob_type() {
  return make(409, "InvalidBlobType", "The blob type is invalid for this operation.");
}
AzureError invalid_page_range() { return make(416, "InvalidPageRange", "The page range specified is invalid."); }
AzureError sequence_number_condition_not_met() {
  return make(412, "SequenceNumberConditionNotMet", "The sequence number condition specified was not met.");
}
AzureError sequence_number_increment_too_large() {
  return make(409, "SequenceNumberIncrementTooLarge",
              "The sequence number increment cannot be performed because it would result in overflow of the sequence number.");
}
AzureError previous_snapshot_not_found() { return make(409, "PreviousSnapshotNotFound", "The previous snapshot is not found."); }
AzureError previous_snapshot_cannot_be_newer() {
  return make(400, "PreviousSnapshotCannotBeNewer",
              "The prevsnapshot query parameter value cannot be newer than snapshot query parameter value.");
}
AzureError incremental_copy_source_must_be_snapshot() {
  return make(409, "IncrementalCopySourceMustBeSnapshot", "The source for incremental copy request must be a snapshot.");
}
AzureError incremental_copy_blob_mismatch() {
  return make(409, "IncrementalCopyBlobMismatch",
              "The specified source blob is different than the copy source of the existing incremental copy blob.");
}
AzureError incremental_copy_of_earlier_snapshot_not_allowed() {
  return make(409, "IncrementalCopyOfEarlierSnapshotNotAllowed",
              "The specified snapshot is earlier than the last snapshot copied into the incremental copy blob.");
}
AzureError operation_not_allowed_on_incremental_copy_blob() {
  return make(409, "OperationNotAllowedOnIncrementalCopyBlob", "The specified operation is not allowed on an incremental copy blob.");
}
AzureError invalid_authentication_info(const std::string& why) {
  return make(401, "InvalidAuthenticationInfo", "Server failed to authenticate the request. " + why);
}
AzureError invalid_md5() { return make(400, "InvalidMd5", "The MD5 value specified in the request is invalid. The MD5 value must be 128 bits and Base64-encoded."); }
AzureError md5_mismatch(const std::string& expected, const std::string& actual) {
  auto e = make(400, "Md5Mismatch", "The MD5 value specified in the request did not match with the MD5 value calculated by the server.");
  e.details.push_back({"UserSpecifiedMd5", expected});
  e.details.push_back({"ServerCalculatedMd5", actual});
  return e;
}
AzureError crc64_mismatch(const std::string& expected, const std::string& actual) {
  auto e = make(400, "Crc64Mismatch", "The CRC64 value specified in the request did not match with the CRC64 value calculated by the server.");
  e.details.push_back({"UserSpecifiedCrc64", expected});
  e.details.push_back({"ServerCalculatedCrc64", actual});
  return e;
}
AzureError request_body_too_large() {
  return make(413, "RequestBodyTooLarge", "The request body is too large and exceeds the maximum permissible limit.");
}
AzureError unsupported_http_verb() {
  return make(405, "UnsupportedHttpVerb", "The resource doesn't support specified Http Verb.");
}
AzureError unsupported_header(const std::string& name) {
  auto e = make(400, "UnsupportedHeader", "One of the HTTP headers specified in the request is not supported.");
  e.details.push_back({"HeaderName", name});
  return e;
}
AzureError unsupported_query_parameter(const std::string& name) {
  auto e = make(400, "UnsupportedQueryParameter", "One of the query parameters specified in the request URI is not supported.");
  e.details.push_back({"QueryParameterName", name});
  return e;
}
AzureError invalid_http_verb() { return make(400, "InvalidHttpVerb", "The HTTP verb specified is invalid - it is not recognized by the server."); }
AzureError blob_archived() { return make(409, "BlobArchived", "This operation is not permitted on an archived blob."); }
AzureError operation_not_allowed_on_root_blob() {
  return make(403, "OperationNotAllowedOnRootBlob", "This operation is not permitted on the current version of the blob.");
}
AzureError blob_immutable_due_to_legal_hold() {
  return make(409, "BlobImmutableDueToLegalHold",
              "This operation is not permitted as the blob is immutable due to one or more legal holds.");
}
AzureError blob_immutable_due_to_policy() {
  return make(409, "BlobImmutableDueToPolicy", "This operation is not permitted as the blob is immutable due to a policy.");
}
AzureError immutability_policy_delete_on_locked_policy() {
  return make(409, "ImmutabilityPolicyDeleteOnLockedPolicy",
              "This operation is not permitted as the immutability policy is locked.");
}
AzureError container_immutable_storage_with_versioning_enabled() {
  return make(409, "ContainerImmutableStorageWithVersioningEnabled",
              "The requested operation is not allowed as the container has a immutable storage with versioning enabled.");
}
AzureError immutability_not_enabled() {
  return make(409, "FeatureNotSupported",
              "Version-level immutability is not enabled (start kiln serve with --blob-immutability).");
}
AzureError blob_uses_customer_specified_encryption() {
  return make(409, "BlobUsesCustomerSpecifiedEncryption",
              "The blob is encrypted with customer specified encryption, but it was not provided in the request.");
}
AzureError blob_does_not_use_customer_specified_encryption() {
  return make(409, "BlobDoesNotUseCustomerSpecifiedEncryption",
              "The blob is not encrypted with customer specified encryption, but one was provided in the request.");
}
AzureError blob_customer_specified_encryption_mismatch() {
  return make(409, "BlobCustomerSpecifiedEncryptionMismatch",
              "The given customer specified encryption does not match the encryption used to encrypt the blob.");
}
AzureError blob_being_rehydrated() {
  return make(409, "BlobBeingRehydrated", "This operation is not permitted because the blob is being rehydrated.");
}
AzureError feature_not_supported(const std::string& what) {
  return make(409, "FeatureNotSupported", what + " is not supported by Kiln yet.");
}
AzureError condition_not_met() {
  return make(412, "ConditionNotMet", "The condition specified using HTTP conditional header(s) is not met.");
}
AzureError target_condition_not_met() {
  return make(412, "TargetConditionNotMet", "The target condition specified using HTTP conditional header(s) is not met.");
}
AzureError source_condition_not_met() {
  return make(412, "SourceConditionNotMet", "The source condition specified using HTTP conditional header(s) is not met.");
}
AzureError cannot_verify_copy_source(int status, const std::string& message) {
  return make(status, "CannotVerifyCopySource", message);
}
AzureError write_operation_not_supported_on_secondary() {
  return make(403, "WriteOperationNotSupportedOnSecondary", "Write operations are not allowed on the secondary location.");
}
AzureError snapshots_present() {
  return make(409, "SnapshotsPresent", "This operation is not permitted because the blob has snapshots.");
}
AzureError snapshot_operation_rate_exceeded() {
  return make(409, "SnapshotOperationRateExceeded", "The rate of snapshot operations against this blob exceeds the limit.");
}
AzureError public_access_not_permitted() {
  return make(409, "PublicAccessNotPermitted", "Public access is not permitted on this storage account.");
}
AzureError invalid_operation(const std::string& message) { return make(400, "InvalidOperation", message); }
AzureError max_blob_size_condition_not_met() {
  return make(412, "MaxBlobSizeConditionNotMet", "The max blob size condition specified was not met.");
}
AzureError append_position_condition_not_met() {
  return make(412, "AppendPositionConditionNotMet", "The append position condition specified was not met.");
}
AzureError block_count_exceeds_limit() {
  return make(409, "BlockCountExceedsLimit", "The committed block count cannot exceed the maximum limit of 50,000 blocks.");
}
AzureError block_list_too_long() {
  return make(400, "BlockListTooLong", "The block list may not contain more than 50,000 blocks.");
}
AzureError cors_preflight_failure() {
  return make(403, "CorsPreflightFailure", "CORS not enabled or no matching rule found for this request.");
}
AzureError internal_error() {
  return make(500, "InternalError", "Server encountered an internal error. Please try again after some time.");
}
AzureError lease_id_missing() {
  return make(412, "LeaseIdMissing", "There is currently a lease on the resource and no lease ID was specified in the request.");
}
AzureError lease_id_mismatch_with_lease_operation() {
  return make(409, "LeaseIdMismatchWithLeaseOperation", "The lease ID specified did not match the lease ID for the resource.");
}
AzureError lease_id_mismatch_with_blob_operation() {
  return make(412, "LeaseIdMismatchWithBlobOperation", "The lease ID specified did not match the lease ID for the blob.");
}
AzureError lease_id_mismatch_with_container_operation() {
  return make(412, "LeaseIdMismatchWithContainerOperation", "The lease ID specified did not match the lease ID for the container.");
}
AzureError lease_not_present_with_lease_operation() {
  return make(409, "LeaseNotPresentWithLeaseOperation", "There is currently no lease on the resource.");
}
AzureError lease_not_present_with_blob_operation() {
  return make(412, "LeaseNotPresentWithBlobOperation", "There is currently no lease on the blob.");
}
AzureError lease_not_present_with_container_operation() {
  return make(412, "LeaseNotPresentWithContainerOperation", "There is currently no lease on the container.");
}
AzureError lease_already_present() { return make(409, "LeaseAlreadyPresent", "There is already a lease present."); }
AzureError lease_already_broken() {
  return make(409, "LeaseAlreadyBroken", "The lease has already been broken and cannot be broken again.");
}
AzureError lease_is_breaking_and_cannot_be_acquired() {
  return make(409, "LeaseIsBreakingAndCannotBeAcquired",
              "There is already a breaking lease present and the lease ID specified did not match.");
}
AzureError lease_is_breaking_and_cannot_be_changed() {
  return make(409, "LeaseIsBreakingAndCannotBeChanged", "The lease ID specified did not match the lease ID for the resource and the lease is breaking.");
}
AzureError lease_is_broken_and_cannot_be_renewed() {
  return make(409, "LeaseIsBrokenAndCannotBeRenewed", "The lease ID matched, but the lease has been broken explicitly and cannot be renewed.");
}
AzureError lease_lost() {
  return make(412, "LeaseLost", "A lease ID was specified, but the lease for the resource has expired.");
}
}  // namespace err
}  // namespace kiln::blob
