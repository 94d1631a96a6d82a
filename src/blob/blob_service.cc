#include "blob/blob_service.h"

#include <stdlib.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "blob/auth.h"
#include "blob/blob_batch.h"
#include "blob/blob_files.h"
#include "blob/container_soft_delete.h"
#include "blob/handlers.h"
#include "blob/names.h"
#include "blob/response_util.h"
#include "blob/sas.h"
#include "blob/page_layout.h"
#include "blob/spooled_body.h"
#include "blob/versions.h"
#include "blob/sqlite_metadata_store.h"
#include "core/crypto.h"
#include "core/file_util.h"
#include "core/log.h"
#include "core/time_format.h"

namespace kiln::blob {
namespace {

// The body of a request refused from its head (spool_body): dropped as it
// arrives, while the refusal waits for the handler.
struct RefusedBody : http::DiscardBody {
  explicit RefusedBody(AzureError e) : error(std::move(e)) {}
  AzureError error;
};

int64_t env_seconds(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  try {
    return std::stoll(v);
  } catch (const std::exception&) {
    return fallback;
  }
}

void run(Call& c) {
  switch (c.ctx.op) {
    case Operation::kPreflight: return preflight(c);
    case Operation::kGetServiceProperties: return get_service_properties(c);
    case Operation::kSetServiceProperties: return set_service_properties(c);
    case Operation::kGetServiceStats: return get_service_stats(c);
    case Operation::kListContainers: return list_containers(c);
    case Operation::kGetAccountInfo: return get_account_info(c);
    case Operation::kGetUserDelegationKey: return get_user_delegation_key(c);
    case Operation::kCreateContainer: return create_container(c);
    case Operation::kDeleteContainer: return delete_container(c);
    case Operation::kRestoreContainer: return restore_container(c);
    case Operation::kRenameContainer: return rename_container(c);
    case Operation::kGetContainerProperties:
    case Operation::kGetContainerMetadata: return get_container_properties(c);
    case Operation::kSetContainerMetadata: return set_container_metadata(c);
    case Operation::kGetContainerAcl: return get_container_acl(c);
    case Operation::kSetContainerAcl: return set_container_acl(c);
    case Operation::kLeaseContainer: return lease_container(c);
    case Operation::kListBlobs: return list_blobs(c);
    case Operation::kGetBlob: return get_blob(c, c.req.method == "HEAD");
    case Operation::kGetBlobProperties: return get_blob(c, true);
    case Operation::kPutBlob: return put_blob(c);
    case Operation::kCopyBlob: return copy_blob(c);
    case Operation::kPutBlobFromUrl: return put_blob_from_url(c);
    case Operation::kDeleteBlob: return delete_blob(c);
    case Operation::kUndeleteBlob: return undelete_blob(c);
    case Operation::kSetBlobProperties: return set_blob_properties(c);
    case Operation::kGetBlobMetadata: return get_blob_metadata(c);
    case Operation::kSetBlobMetadata: return set_blob_metadata(c);
    case Operation::kLeaseBlob: return lease_blob(c);
    case Operation::kSnapshotBlob: return snapshot_blob(c);
    case Operation::kPutBlock: return put_block(c);
    case Operation::kPutBlockFromUrl: return put_block_from_url(c);
    case Operation::kPutBlockList: return put_block_list(c);
    case Operation::kGetBlockList: return get_block_list(c);
    case Operation::kAppendBlock: return append_block(c);
    case Operation::kAppendBlockFromUrl: return append_block_from_url(c);
    case Operation::kSealAppendBlob: return seal_append_blob(c);
    case Operation::kPutPage: return put_page(c);
    case Operation::kPutPageFromUrl: return put_page_from_url(c);
    case Operation::kGetPageRanges: return get_page_ranges(c);
    case Operation::kIncrementalCopyBlob: return incremental_copy_blob(c);
    case Operation::kAbortCopyBlob: return abort_copy_blob(c);
    case Operation::kSetBlobTier: return set_blob_tier(c);
    case Operation::kQueryBlob: return query_blob(c);
    case Operation::kSetBlobTags: return set_blob_tags(c);
    case Operation::kGetBlobTags: return get_blob_tags(c);
    case Operation::kSetBlobImmutabilityPolicy: return set_blob_immutability_policy(c);
    case Operation::kDeleteBlobImmutabilityPolicy: return delete_blob_immutability_policy(c);
    case Operation::kSetBlobLegalHold: return set_blob_legal_hold(c);
    case Operation::kFindBlobsByTags:
    case Operation::kFindBlobsByTagsInContainer: return find_blobs_by_tags(c);
    case Operation::kUnsupportedService:
    case Operation::kUnsupportedContainer:
    case Operation::kUnsupportedBlob:
      throw err::feature_not_supported("This operation (comp=" + c.req.query_param("comp").value_or("") + ")");
    case Operation::kUnknown:
      break;
  }
  throw err::internal_error();
}

// A service SAS may override response headers (rscc, rscd, rsce, rscl, rsct).
void apply_sas_overrides(const http::Request& req, http::Response& res) {
  if (req.headers.has("authorization")) return;
  auto sas = parse_sas(req.query);
  if (!sas || sas->is_account()) return;
  if (!sas->rscc.empty()) res.headers.set("Cache-Control", sas->rscc);
  if (!sas->rscd.empty()) res.headers.set("Content-Disposition", sas->rscd);
  if (!sas->rsce.empty()) res.headers.set("Content-Encoding", sas->rsce);
  if (!sas->rscl.empty()) res.headers.set("Content-Language", sas->rscl);
  if (!sas->rsct.empty()) res.headers.set("Content-Type", sas->rsct);
}

}  // namespace

struct BlobService::Impl {
  BlobServiceOptions options;
  std::string root;  // data_dir or the temp dir
  std::unique_ptr<SqliteMetadataStore> store;
  std::unique_ptr<BlobFiles> files;
  std::unique_ptr<Backend> backend;
  int64_t block_expiry_us;
  int64_t retention_day_us;  // a day of a delete retention policy (KILN_BLOB_RETENTION_DAY_SECONDS for tests)
  std::thread sweeper;
  std::mutex sweep_mu;
  std::condition_variable sweep_cv;
  bool stopping = false;

  void sweep_expired_blocks();
  void sweep_loop(int64_t interval_s);
};

// Uncommitted blocks older than Azure's one week (KILN_BLOB_BLOCK_EXPIRY_SECONDS
// overrides it for tests) are dropped with their files, and so are
// soft-deleted blobs and containers past their retention days
// (KILN_BLOB_RETENTION_DAY_SECONDS shortens a day for tests).
void BlobService::Impl::sweep_expired_blocks() {
  int64_t now_us = timefmt::to_micros(timefmt::now());
  store->write([&](MetadataWriter& w) {
    std::vector<std::string> doomed;
    for (const auto& b : w.deleted_blobs()) {
      if (b.deleted_us + b.retention_days * retention_day_us > now_us) continue;
      w.delete_blob(b.account, b.container, b.name, b.snapshot);
      if (!b.file.empty()) doomed.push_back(b.file);
    }
    std::vector<std::string> accounts;
    for (const auto& a : options.accounts->all()) accounts.push_back(a.name);
    auto containers = purge_deleted_containers(w, accounts, now_us, retention_day_us);
    doomed.insert(doomed.end(), containers.begin(), containers.end());
    remove_files_after_commit(w, *backend, std::move(doomed));
  });
  int64_t before = now_us - block_expiry_us;
  while (true) {
    std::vector<ExpiredBlock> expired;
    store->write([&](MetadataWriter& w) {
      expired = w.expired_blocks(before, 1000);
      std::vector<std::string> doomed;
      for (const auto& b : expired) {
        w.delete_block(b);
        doomed.push_back(b.file);
      }
      remove_files_after_commit(w, *backend, std::move(doomed));
    });
    if (expired.size() < 1000) break;
  }
}

void BlobService::Impl::sweep_loop(int64_t interval_s) {
  std::unique_lock<std::mutex> lk(sweep_mu);
  while (!stopping) {
    sweep_cv.wait_for(lk, std::chrono::seconds(interval_s));
    if (stopping) break;
    lk.unlock();
    try {
      sweep_expired_blocks();
    } catch (const std::exception& e) {
      LOG_WARN("blob: block expiry sweep failed: " << e.what());
    }
    lk.lock();
  }
}

BlobService::BlobService(BlobServiceOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.options = std::move(options);
  if (m.options.in_memory) {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/kiln-blob-XXXXXX";
    if (!::mkdtemp(templ.data())) throw std::runtime_error("cannot create a temporary directory");
    m.root = templ;
  } else {
    m.root = m.options.data_dir;
    fs::make_dirs(m.root);
  }
  bool durable = !m.options.in_memory;
  m.store = std::make_unique<SqliteMetadataStore>(m.root + "/metadata.db", durable);
  m.files = std::make_unique<BlobFiles>(m.root + "/data", durable);
  m.backend = std::make_unique<Backend>(
      Backend{*m.store, *m.files, *m.options.accounts, m.options.container_soft_delete_days,
              m.options.versioning || m.options.immutability, m.options.immutability});
  m.block_expiry_us = env_seconds("KILN_BLOB_BLOCK_EXPIRY_SECONDS", 7 * 24 * 3600) * 1000000;
  m.retention_day_us = env_seconds("KILN_BLOB_RETENTION_DAY_SECONDS", 24 * 3600) * 1000000;
  // Files written but never committed (a crash mid-upload) are not referenced: remove them.
  auto referenced = m.store->all_files();
  size_t removed = m.files->sweep(std::set<std::string>(referenced.begin(), referenced.end()));
  if (removed) LOG_INFO("blob: removed " << removed << " uncommitted data files");
  m.sweep_expired_blocks();
  int64_t interval = env_seconds("KILN_BLOB_SWEEP_INTERVAL_SECONDS", 3600);
  m.sweeper = std::thread([this, interval] { impl_->sweep_loop(std::max<int64_t>(1, interval)); });
}

BlobService::~BlobService() {
  {
    std::lock_guard<std::mutex> lk(impl_->sweep_mu);
    impl_->stopping = true;
  }
  impl_->sweep_cv.notify_all();
  if (impl_->sweeper.joinable()) impl_->sweeper.join();
  std::string root = impl_->root;
  bool remove = impl_->options.in_memory;
  impl_.reset();
  if (remove) fs::remove_all(root);
}

// Everything a request must pass before its operation runs: location,
// account, operation, names, authentication and authorization.
void BlobService::admit(const http::Request& req, RequestContext& ctx) {
  if (!parse_location(req, ctx)) throw err::invalid_uri();
  ctx.acct = impl_->options.accounts->find(ctx.account);
  if (!ctx.acct) throw err::account_not_found();
  ctx.op = dispatch(req, !ctx.container.empty(), !ctx.blob.empty());
  if (ctx.op == Operation::kUnknown) {
    static const std::set<std::string> verbs = {"GET", "HEAD", "PUT", "DELETE", "POST", "OPTIONS"};
    if (!verbs.count(req.method)) throw err::unsupported_http_verb();
    if (auto comp = req.query_param("comp")) throw err::invalid_query_parameter_value("comp", *comp);
    if (!ctx.container.empty() && ctx.blob.empty()) {
      throw err::invalid_query_parameter_value("restype", req.query_param("restype").value_or(""));
    }
    throw err::unsupported_http_verb();
  }
  const OperationInfo& op = info(ctx.op);
  check_snapshot_and_version(ctx);
  if (ctx.op != Operation::kPreflight) {
    if (op.resource != ResourceType::kService && ctx.op != Operation::kGetAccountInfo) check_container_name(ctx.container);
    if (op.resource == ResourceType::kObject) check_blob_name(ctx.blob);
  }
  authorize(req, ctx, [&]() -> std::optional<ContainerRecord> {
    std::optional<ContainerRecord> c;
    if (ctx.container.empty()) return c;
    impl_->store->read([&](MetadataReader& r) { c = r.get_container(ctx.account, ctx.container); });
    return c;
  }, impl_->options.oauth);
  if (ctx.secondary && op.write) throw err::write_operation_not_supported_on_secondary();
}

std::shared_ptr<http::BodySink> BlobService::spool_body(const http::Request& head) {
  const std::string* length = head.headers.find("Content-Length");
  std::optional<uint64_t> bytes;
  if (length && length->size() <= 18 && length->find_first_not_of("0123456789") == std::string::npos)
    bytes = std::stoull(*length);
  if (bytes && *bytes <= kInlineLimit) return nullptr;  // small: held in memory
  // A larger body is kept only for an admitted request: anything else gets its
  // error as usual, its body dropped as it arrives (http_types.h).
  RequestContext ctx;
  ctx.now_us = timefmt::to_micros(timefmt::now());
  try {
    admit(head, ctx);
  } catch (const AzureError& e) {
    return std::make_shared<RefusedBody>(e);
  } catch (const std::exception&) {
    return std::make_shared<RefusedBody>(err::internal_error());
  }
  // Put Blob, Put Block, Append Block and Put Page bodies of a known length go straight
  // to the data disk; other bodies (XML) stay in memory, capped by the server.
  if (!bytes || head.method != "PUT" || head.has_query("restype")) return nullptr;
  auto comp = head.query_param("comp");
  bool append = comp && *comp == "appendblock";
  bool page = comp && *comp == "page";
  if (comp && *comp != "block" && !append && !page) return nullptr;
  uint64_t limit = append ? max_append_block_bytes(head.headers) : page ? kMaxPageWrite : comp ? kMaxBlockBytes : UINT64_MAX;
  if (*bytes > limit) return nullptr;  // refused by the handler with its own error
  bool put_blob = !comp;
  // Put Blob, Append Block and Put Page answer with the body's MD5 whether it was sent or not.
  return std::make_shared<SpooledBody>(*impl_->files, put_blob || append || page || head.headers.has("content-md5"),
                                       head.headers.has("x-ms-content-crc64"));
}

void finish_call(Call& c, std::exception_ptr error) {
  http::Request& req = c.req;
  http::Response& res = c.res;
  try {
    if (error) std::rethrow_exception(error);
    if (c.ctx.op == Operation::kGetBlob || c.ctx.op == Operation::kGetBlobProperties) apply_sas_overrides(req, res);
    if (c.ctx.op != Operation::kPreflight && req.headers.has("origin")) add_cors_headers(c);
  } catch (const AzureError& e) {
    http::Response fresh;
    // Keep a 416's Content-Range; everything else starts clean.
    if (e.status == 416 && res.headers.has("Content-Range")) fresh.headers.set("Content-Range", res.headers.get("Content-Range"));
    res = std::move(fresh);
    write_error(e, c.ctx.request_id, res);
    if (e.status == 304) res.body.clear();
  } catch (const std::exception& e) {
    LOG_ERROR("blob: " << req.method << " " << req.target << " failed: " << e.what());
    res = http::Response{};
    write_error(err::internal_error(), c.ctx.request_id, res);
  }
  add_common_headers(req, c.ctx, res);
}

void BlobService::handle(http::Request& req, http::Response& res) {
  RequestContext ctx;
  ctx.request_id = crypto::fast_uuid4();
  ctx.now_us = timefmt::to_micros(timefmt::now());
  Call call{req, ctx, res, *impl_->backend};
  call.may_defer = true;
  std::exception_ptr error;
  try {
    // Refused when its head arrived: the same answer, whatever admitting it
    // again would say now (its body is gone).
    if (auto* refused = dynamic_cast<RefusedBody*>(req.body_sink.get())) throw refused->error;
    address_batch(req, *impl_->options.accounts);
    admit(req, ctx);
    if (ctx.op == Operation::kBlobBatch || ctx.op == Operation::kContainerBatch) run_batch(call);
    else run(call);
    if (res.defer) return;  // finished by commit_then_respond
  } catch (...) {
    error = std::current_exception();
  }
  finish_call(call, error);
}

void BlobService::on_bad_request(int status, const http::Request& req, http::Response& res) {
  RequestContext ctx;
  ctx.request_id = crypto::fast_uuid4();
  AzureError e = status == 413 ? err::request_body_too_large()
                 : status == 431 ? AzureError(431, "RequestHeaderFieldsTooLarge", "The request headers are too large.")
                 : status == 500 ? err::internal_error()  // a spooled body could not be stored
                                 : err::invalid_uri();
  write_error(e, ctx.request_id, res);
  add_common_headers(req, ctx, res);
}

}  // namespace kiln::blob
