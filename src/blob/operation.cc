#include "blob/operation.h"

namespace kiln::blob {

Operation dispatch(const http::Request& req, bool has_container, bool has_blob) {
  const std::string& m = req.method;
  std::string restype = req.query_param("restype").value_or("");
  std::string comp = req.query_param("comp").value_or("");
  bool get = m == "GET" || m == "HEAD";
  if (m == "OPTIONS") return Operation::kPreflight;
  if (restype == "account" && comp == "properties" && get) return Operation::kGetAccountInfo;
  if (!has_container) {
    if (restype == "service" && comp == "properties") {
      if (get) return Operation::kGetServiceProperties;
      if (m == "PUT") return Operation::kSetServiceProperties;
    }
    if (restype == "service" && comp == "stats" && get) return Operation::kGetServiceStats;
    if (comp == "list" && get) return Operation::kListContainers;
    if (comp == "blobs" && get) return Operation::kFindBlobsByTags;
    if (comp == "batch" && m == "POST") return Operation::kBlobBatch;
    if (restype == "service" && comp == "userdelegationkey" && m == "POST") return Operation::kGetUserDelegationKey;
    if (comp == "batch" || comp == "userdelegationkey") return Operation::kUnsupportedService;
    return Operation::kUnknown;
  }
  if (!has_blob) {
    if (restype != "container") {
      // Azure treats a container URL without restype=container as a blob in $root.
      return comp == "list" ? Operation::kUnknown : Operation::kUnknown;
    }
    if (comp.empty()) {
      if (m == "PUT") return Operation::kCreateContainer;
      if (m == "DELETE") return Operation::kDeleteContainer;
      if (get) return Operation::kGetContainerProperties;
    } else if (comp == "metadata") {
      if (get) return Operation::kGetContainerMetadata;
      if (m == "PUT") return Operation::kSetContainerMetadata;
    } else if (comp == "acl") {
      if (get) return Operation::kGetContainerAcl;
      if (m == "PUT") return Operation::kSetContainerAcl;
    } else if (comp == "lease") {
      if (m == "PUT") return Operation::kLeaseContainer;
    } else if (comp == "list") {
      if (get) return Operation::kListBlobs;
    } else if (comp == "blobs") {
      if (get) return Operation::kFindBlobsByTagsInContainer;
    } else if (comp == "batch" && m == "POST") {
      return Operation::kContainerBatch;
    } else if (comp == "undelete" && m == "PUT") {
      return Operation::kRestoreContainer;
    } else if (comp == "rename" && m == "PUT") {
      return Operation::kRenameContainer;
    } else if (comp == "batch" || comp == "undelete" || comp == "rename") {
      return Operation::kUnsupportedContainer;
    }
    return Operation::kUnknown;
  }
  if (comp.empty()) {
    if (m == "GET") return Operation::kGetBlob;
    if (m == "HEAD") return Operation::kGetBlobProperties;
    if (m == "DELETE") return Operation::kDeleteBlob;
    if (m == "PUT" && !req.headers.has("x-ms-copy-source")) return Operation::kPutBlob;
    // Put Blob From URL names the blob type; Copy Blob (also with x-ms-requires-sync) does not.
    if (m == "PUT") return req.headers.has("x-ms-blob-type") ? Operation::kPutBlobFromUrl : Operation::kCopyBlob;
    return Operation::kUnknown;
  }
  if (comp == "properties" && m == "PUT") return Operation::kSetBlobProperties;
  if (comp == "metadata") {
    if (get) return Operation::kGetBlobMetadata;
    if (m == "PUT") return Operation::kSetBlobMetadata;
  }
  if (comp == "lease" && m == "PUT") return Operation::kLeaseBlob;
  if (comp == "snapshot" && m == "PUT") return Operation::kSnapshotBlob;
  if (comp == "block" && m == "PUT") {
    return req.headers.has("x-ms-copy-source") ? Operation::kPutBlockFromUrl : Operation::kPutBlock;
  }
  if (comp == "blocklist") {
    if (m == "PUT") return Operation::kPutBlockList;
    if (get) return Operation::kGetBlockList;
  }
  if (comp == "appendblock" && m == "PUT") {
    return req.headers.has("x-ms-copy-source") ? Operation::kAppendBlockFromUrl : Operation::kAppendBlock;
  }
  if (comp == "copy" && m == "PUT") return Operation::kAbortCopyBlob;
  if (comp == "seal" && m == "PUT") return Operation::kSealAppendBlob;
  if (comp == "undelete" && m == "PUT") return Operation::kUndeleteBlob;
  if (comp == "tier" && m == "PUT") return Operation::kSetBlobTier;
  if (comp == "tags") {
    if (m == "PUT") return Operation::kSetBlobTags;
    if (m == "GET") return Operation::kGetBlobTags;
  }
  if (comp == "page" && m == "PUT") {
    return req.headers.has("x-ms-copy-source") ? Operation::kPutPageFromUrl : Operation::kPutPage;
  }
  if (comp == "pagelist" && get) return Operation::kGetPageRanges;
  if (comp == "incrementalcopy" && m == "PUT") return Operation::kIncrementalCopyBlob;
  if (comp == "query" && m == "POST") return Operation::kQueryBlob;
  if (comp == "immutabilityPolicies") {
    if (m == "PUT") return Operation::kSetBlobImmutabilityPolicy;
    if (m == "DELETE") return Operation::kDeleteBlobImmutabilityPolicy;
  }
  if (comp == "legalhold" && m == "PUT") return Operation::kSetBlobLegalHold;
  if (comp == "page" || comp == "pagelist" || comp == "incrementalcopy" ||
      comp == "query" || comp == "expiry" || comp == "immutabilityPolicies" ||
      comp == "legalhold")
    return Operation::kUnsupportedBlob;
  return Operation::kUnknown;
}

const OperationInfo& info(Operation op) {
  using R = ResourceType;
  static const OperationInfo kUnknownInfo{"Unknown", R::kService, false, ""};
  switch (op) {
#define OP(e, res, w, perms)                       \
  case Operation::e: {                             \
    static const OperationInfo i{&#e[1], res, w, perms}; \
    return i;                                      \
  }
    OP(kPreflight, R::kService, false, "")
    OP(kGetServiceProperties, R::kService, false, "r")
    OP(kSetServiceProperties, R::kService, true, "w")
    OP(kGetServiceStats, R::kService, false, "r")
    OP(kListContainers, R::kService, false, "l")
    OP(kGetAccountInfo, R::kService, false, "rwdlacup")
    OP(kFindBlobsByTags, R::kService, false, "f")
    OP(kBlobBatch, R::kService, true, "dw")  // each sub-request is authorized on its own too
    OP(kGetUserDelegationKey, R::kService, false, "")  // bearer callers only (service_handler.cc)
    OP(kUnsupportedService, R::kService, true, "")
    OP(kCreateContainer, R::kContainer, true, "cw")
    OP(kDeleteContainer, R::kContainer, true, "d")
    OP(kGetContainerProperties, R::kContainer, false, "r")
    OP(kGetContainerMetadata, R::kContainer, false, "r")
    OP(kSetContainerMetadata, R::kContainer, true, "w")
    OP(kGetContainerAcl, R::kContainer, false, "r")
    OP(kSetContainerAcl, R::kContainer, true, "w")
    OP(kLeaseContainer, R::kContainer, true, "w")
    OP(kListBlobs, R::kContainer, false, "l")
    OP(kFindBlobsByTagsInContainer, R::kContainer, false, "f")
    OP(kContainerBatch, R::kContainer, true, "dw")
    OP(kRestoreContainer, R::kContainer, true, "w")
    OP(kRenameContainer, R::kContainer, true, "w")
    OP(kUnsupportedContainer, R::kContainer, true, "")
    OP(kGetBlob, R::kObject, false, "r")
    OP(kGetBlobProperties, R::kObject, false, "r")
    OP(kPutBlob, R::kObject, true, "cw")
    OP(kPutBlobFromUrl, R::kObject, true, "cw")
    OP(kCopyBlob, R::kObject, true, "cw")
    OP(kDeleteBlob, R::kObject, true, "d")
    OP(kUndeleteBlob, R::kObject, true, "w")
    OP(kSetBlobProperties, R::kObject, true, "w")
    OP(kGetBlobMetadata, R::kObject, false, "r")
    OP(kSetBlobMetadata, R::kObject, true, "w")
    OP(kLeaseBlob, R::kObject, true, "w")
    OP(kSnapshotBlob, R::kObject, true, "cw")
    OP(kPutBlock, R::kObject, true, "cw")
    OP(kPutBlockFromUrl, R::kObject, true, "cw")
    OP(kPutBlockList, R::kObject, true, "cw")
    OP(kGetBlockList, R::kObject, false, "r")
    OP(kAppendBlock, R::kObject, true, "aw")
    OP(kAppendBlockFromUrl, R::kObject, true, "aw")
    OP(kSealAppendBlob, R::kObject, true, "w")
    OP(kPutPage, R::kObject, true, "w")
    OP(kPutPageFromUrl, R::kObject, true, "w")
    OP(kGetPageRanges, R::kObject, false, "r")
    OP(kIncrementalCopyBlob, R::kObject, true, "cw")
    OP(kAbortCopyBlob, R::kObject, true, "w")
    OP(kSetBlobTier, R::kObject, true, "w")
    OP(kSetBlobTags, R::kObject, true, "t")
    OP(kGetBlobTags, R::kObject, false, "t")
    OP(kQueryBlob, R::kObject, false, "r")
    OP(kSetBlobImmutabilityPolicy, R::kObject, true, "i")
    OP(kDeleteBlobImmutabilityPolicy, R::kObject, true, "i")
    OP(kSetBlobLegalHold, R::kObject, true, "i")
    OP(kUnsupportedBlob, R::kObject, true, "")
#undef OP
    default:
      return kUnknownInfo;
  }
}

}  // namespace kiln::blob
