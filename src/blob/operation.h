// Operation dispatch: method + restype/comp (+ a few headers) -> an Operation,
// with the facts authentication needs about each (resource type, SAS
// permissions, write or read).
#pragma once

#include <string>

#include "core/http_types.h"

namespace kiln::blob {

enum class Operation {
  kUnknown,
  // Service
  kPreflight, kGetServiceProperties, kSetServiceProperties, kGetServiceStats, kListContainers,
  kGetAccountInfo, kFindBlobsByTags, kBlobBatch, kGetUserDelegationKey, kUnsupportedService,
  // Container
  kCreateContainer, kDeleteContainer, kGetContainerProperties, kGetContainerMetadata, kSetContainerMetadata,
  kGetContainerAcl, kSetContainerAcl, kLeaseContainer, kListBlobs, kFindBlobsByTagsInContainer, kContainerBatch, kRestoreContainer, kRenameContainer,
  kUnsupportedContainer,
  // Blob
  kGetBlob, kGetBlobProperties, kPutBlob, kPutBlobFromUrl, kCopyBlob, kDeleteBlob, kUndeleteBlob,
  kSetBlobProperties, kGetBlobMetadata,
  kSetBlobMetadata, kLeaseBlob, kSnapshotBlob, kPutBlock, kPutBlockFromUrl, kPutBlockList, kGetBlockList, kAppendBlock,
  kAppendBlockFromUrl, kSealAppendBlob, kPutPage, kPutPageFromUrl, kGetPageRanges, kIncrementalCopyBlob, kAbortCopyBlob, kSetBlobTier, kSetBlobTags, kGetBlobTags, kQueryBlob,
  kSetBlobImmutabilityPolicy, kDeleteBlobImmutabilityPolicy, kSetBlobLegalHold, kUnsupportedBlob,
};

enum class ResourceType { kService, kContainer, kObject };

struct OperationInfo {
  const char* name;
  ResourceType resource;
  bool write;               // refused on the -secondary endpoint
  const char* sas_perms;    // any one of these service/account SAS permission letters suffices
};

// Which operation the request names. `has_container`/`has_blob` come from the URL.
// Returns kUnknown (-> 400/405) when nothing matches.
Operation dispatch(const http::Request& req, bool has_container, bool has_blob);
const OperationInfo& info(Operation op);

}  // namespace kiln::blob
