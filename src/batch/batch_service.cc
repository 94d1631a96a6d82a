#include "batch/batch_service.h"

#include "batch/engine.h"
#include "batch/errors.h"
#include "batch/handlers.h"
#include "core/crypto.h"
#include "core/file_util.h"
#include "core/log.h"
#include "core/shared_key.h"
#include "core/sqlite.h"

namespace kiln::batch {

BatchService::BatchService(BatchServiceOptions options) : opt_(std::move(options)) {
  if (!opt_.node_factory) opt_.node_factory = [](node::NodeConfig cfg) { return node::make_local_node_agent(std::move(cfg)); };
}

BatchService::~BatchService() { stop(); }

void BatchService::start() {
  if (started_) return;
  started_ = true;
  fs::make_dirs(opt_.data_dir);
  for (const Account& account : opt_.accounts->all()) {
    EngineOptions eo;
    eo.account_name = account.name;
    eo.account_url = opt_.account_url_base;
    eo.nodes_dir = opt_.data_dir + "/nodes/" + account.name;
    eo.ca_file = opt_.ca_file;
    eo.node_factory = opt_.node_factory;
    eo.dedicated_core_quota = opt_.dedicated_core_quota;
    eo.low_priority_core_quota = opt_.low_priority_core_quota;
    std::string db = opt_.in_memory ? ":memory:" : opt_.data_dir + "/" + account.name + ".db";
    auto engine = std::make_unique<Engine>(std::move(eo), make_sqlite_store(db));
    engine->start();
    engines_.emplace(account.name, std::move(engine));
  }
}

void BatchService::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  for (auto& [name, engine] : engines_) engine->stop();
  if (opt_.in_memory) fs::remove_all(opt_.data_dir + "/nodes");
}

Engine* BatchService::authenticate(const http::Request& req) {
  const std::string* header = req.headers.find("Authorization");
  if (!header) throw errors::authentication_failed("The Authorization header was not provided.");
  shared_key::Authorization auth;
  if (!shared_key::parse_authorization(*header, auth) || auth.scheme != "SharedKey")
    throw errors::authentication_failed("The Authorization header is not in the SharedKey format.");
  auto it = engines_.find(auth.account);
  const Account* account = opt_.accounts->find(auth.account);
  if (it == engines_.end() || !account)
    throw errors::authentication_failed("The account '" + auth.account + "' does not exist.");
  shared_key::SignedRequest sr{req.method, req.raw_path, req.query, &req.headers};
  std::string to_sign = shared_key::string_to_sign(shared_key::Service::kBatch, sr, auth.account);
  for (const std::string& key : account->keys)
    if (crypto::equal_constant_time(shared_key::sign(key, to_sign), auth.signature)) return it->second.get();
  throw errors::authentication_failed("The MAC signature found in the HTTP request '" + auth.signature +
                                      "' is not the same as any computed signature.");
}

void BatchService::handle(http::Request& req, http::Response& res) {
  std::string request_id = crypto::uuid4();
  res.headers.set("request-id", request_id);
  if (const std::string* crid = req.headers.find("client-request-id");
      crid && req.headers.get("return-client-request-id") == "true")
    res.headers.set("client-request-id", *crid);
  try {
    Engine* engine = authenticate(req);
    route(*engine, req, res);
    // Nothing is acknowledged before it is durable; concurrent requests share the flush.
    if (req.method != "GET" && req.method != "HEAD" && res.status < 300) engine->sync();
  } catch (const BatchError& e) {
    res.file.reset();
    write_error(e, opt_.account_url_base, request_id, res);
    if (req.method == "HEAD") res.suppress_body = true;
  } catch (const std::exception& e) {
    LOG_ERROR("batch: " << req.method << " " << req.target << " failed: " << e.what());
    res.file.reset();
    write_error(errors::internal(e.what()), opt_.account_url_base, request_id, res);
  }
}

void BatchService::on_bad_request(int status, const http::Request& req, http::Response& res) {
  std::string request_id = crypto::uuid4();
  BatchError e = status == 413 ? errors::body_too_large()
                 : status == 431 ? BatchError(431, "RequestHeaderFieldsTooLarge", "The request headers are too large.")
                                 : BatchError(400, "InvalidRequest", "The request is not a valid HTTP request.");
  write_error(e, opt_.account_url_base, request_id, res);
}

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

std::string join_from(const std::vector<std::string>& seg, size_t from) {
  std::string out;
  for (size_t i = from; i < seg.size(); ++i) out += (i > from ? "/" : "") + seg[i];
  return out;
}

}  // namespace

// path + method → operation. Paths are matched case-insensitively on their
// fixed parts, as Azure does; ids are passed through as sent.
void BatchService::route(Engine& engine, http::Request& req, http::Response& res) {
  Ctx c{req, res, engine, opt_.account_url_base, split_path(req.path)};
  const auto& s = c.seg;
  const std::string& m = req.method;
  size_t n = s.size();
  auto is = [&](size_t i, const char* word) { return i < n && lower(s[i]) == word; };
  auto verb = [&](std::initializer_list<const char*> allowed) {
    for (const char* a : allowed)
      if (m == a) return;
    throw errors::unsupported_verb();
  };
  namespace h = handlers;
  if (n == 1 && is(0, "supportedimages")) return verb({"GET"}), h::list_supported_images(c);
  if (n == 1 && is(0, "nodecounts")) return verb({"GET"}), h::list_pool_node_counts(c);
  if (n == 1 && is(0, "lifetimejobstats")) return verb({"GET"}), h::lifetime_job_stats(c);
  if (n == 1 && is(0, "lifetimepoolstats")) return verb({"GET"}), h::lifetime_pool_stats(c);
  if (n == 1 && (is(0, "applications") || is(0, "jobschedules") || is(0, "certificates"))) {
    verb({"GET"});
    return write_list(c, lower(s[0]), {});
  }
  if (is(0, "pools")) {
    if (n == 1) {
      verb({"GET", "POST"});
      return m == "POST" ? h::add_pool(c) : h::list_pools(c);
    }
    const std::string& pool = s[1];
    if (n == 2) {
      verb({"GET", "HEAD", "PATCH", "DELETE"});
      if (m == "GET") return h::get_pool(c, pool);
      if (m == "HEAD") return h::pool_exists(c, pool);
      if (m == "PATCH") return h::patch_pool(c, pool);
      return h::delete_pool(c, pool);
    }
    if (is(2, "nodes")) {
      if (n == 3) return verb({"GET"}), h::list_nodes(c, pool);
      const std::string& node = s[3];
      if (n == 4) return verb({"GET"}), h::get_node(c, pool, node);
      if (is(4, "files")) {
        if (n == 5) return verb({"GET"}), h::list_node_files(c, pool, node);
        verb({"GET", "HEAD", "DELETE"});
        return h::node_file(c, pool, node, join_from(s, 5));
      }
      if (n == 5) return verb({"POST", "GET", "PUT", "DELETE"}), h::node_action(c, pool, node, lower(s[4]));
    }
    if (n == 3) return verb({"POST"}), h::pool_action(c, pool, lower(s[2]));
  }
  if (is(0, "jobs")) {
    if (n == 1) {
      verb({"GET", "POST"});
      return m == "POST" ? h::add_job(c) : h::list_jobs(c);
    }
    const std::string& job = s[1];
    if (n == 2) {
      verb({"GET", "PATCH", "PUT", "DELETE"});
      if (m == "GET") return h::get_job(c, job);
      if (m == "PATCH") return h::update_job(c, job, false);
      if (m == "PUT") return h::update_job(c, job, true);
      return h::delete_job(c, job);
    }
    if (n == 3 && is(2, "taskcounts")) return verb({"GET"}), h::job_task_counts(c, job);
    if (n == 3 && is(2, "addtaskcollection")) return verb({"POST"}), h::add_task_collection(c, job);
    if (is(2, "tasks")) {
      if (n == 3) {
        verb({"GET", "POST"});
        return m == "POST" ? h::add_task(c, job) : h::list_tasks(c, job);
      }
      const std::string& task = s[3];
      if (n == 4) {
        verb({"GET", "PUT", "DELETE"});
        if (m == "GET") return h::get_task(c, job, task);
        if (m == "PUT") return h::update_task(c, job, task);
        return h::delete_task(c, job, task);
      }
      if (is(4, "files")) {
        if (n == 5) return verb({"GET"}), h::list_task_files(c, job, task);
        verb({"GET", "HEAD", "DELETE"});
        return h::task_file(c, job, task, join_from(s, 5));
      }
      if (n == 5 && is(4, "subtasksinfo")) return verb({"GET"}), h::list_subtasks(c, job, task);
      if (n == 5) return verb({"POST"}), h::task_action(c, job, task, lower(s[4]));
    }
    if (n == 3) return verb({"POST"}), h::job_action(c, job, lower(s[2]));
  }
  throw errors::resource_not_found();
}

}  // namespace kiln::batch
