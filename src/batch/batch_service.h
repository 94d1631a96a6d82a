// The Batch service: Azure Batch's REST API (api-version 2022-10-01.16.0 and
// later) over Kiln's engines, one engine per account of the AccountRegistry.
// The request pipeline is explicit: request id → Shared Key authentication →
// route (path + method → operation) → handler (per resource) → JSON response,
// or Azure's OData JSON error for any BatchError.
//
// Thread-safety: handle() and on_bad_request() may be called concurrently from
// any number of server threads once start() has returned.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/accounts.h"
#include "core/http_types.h"
#include "node/node_agent.h"

namespace kiln::batch {

class Engine;

struct BatchServiceOptions {
  // Persistent root: <data_dir>/<account>.db (SQLite) and node sandboxes under
  // <data_dir>/nodes. When in_memory, SQLite is in memory and data_dir only
  // holds node sandboxes, removed at stop().
  std::string data_dir;
  bool in_memory = false;
  const kiln::AccountRegistry* accounts = nullptr;  // never null; Batch accounts = storage accounts
  std::string account_url_base;  // e.g. "http://127.0.0.1:10100" (AZ_BATCH_ACCOUNT_URL, odata URLs)
  std::string ca_file;           // Kiln's TLS CA for nodes downloading over https ("" if none)
  // Creates a compute node; defaults to kiln::node::make_local_node_agent when empty.
  std::function<std::unique_ptr<kiln::node::NodeAgent>(kiln::node::NodeConfig)> node_factory;
  // Core quotas per account (Kiln's stand-in for Azure's account quotas).
  int dedicated_core_quota = 64;
  int low_priority_core_quota = 64;
};

class BatchService {
 public:
  explicit BatchService(BatchServiceOptions options);
  ~BatchService();  // stops
  BatchService(const BatchService&) = delete;
  BatchService& operator=(const BatchService&) = delete;

  void start();  // recovery after restart + scheduler threads
  void stop();   // idempotent
  void handle(kiln::http::Request& req, kiln::http::Response& res);
  void on_bad_request(int status, const kiln::http::Request& req, kiln::http::Response& res);

 private:
  Engine* authenticate(const kiln::http::Request& req);
  void route(Engine& engine, kiln::http::Request& req, kiln::http::Response& res);

  BatchServiceOptions opt_;
  std::map<std::string, std::unique_ptr<Engine>> engines_;  // by account name
  bool started_ = false, stopped_ = false;
};

}  // namespace kiln::batch
