// What every client verb of `kiln` shares: where the services are, which
// account to use, how to print results, and how failures become messages and
// exit codes. Each verb group (pool_commands.cc, ...) uses only this header.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "kiln/batch_client.h"
#include "kiln/blob_client.h"

namespace kiln::cli {

// Exit codes of client verbs.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,        // the service refused the request, or a task failed
  kExitUsage = 2,          // options that do not fit together (CLI11 parse errors use its own codes)
  kExitNotFound = 3,       // the pool/job/task/container/blob does not exist
  kExitUnreachable = 4,    // no server answered at the endpoint
  kExitAuthentication = 5, // the account name or key was rejected
  kExitTimeout = 6,        // `task wait` gave up
};

// Endpoints, credentials and output format, from flags, then environment
// variables, then a connection string, then the local development defaults.
struct ClientContext {
  std::string batch_endpoint;     // --batch-endpoint / KILN_BATCH_ENDPOINT
  std::string blob_endpoint;      // --blob-endpoint / KILN_BLOB_ENDPOINT
  std::string account_name;       // --account-name / KILN_ACCOUNT_NAME
  std::string account_key;        // --account-key / KILN_ACCOUNT_KEY
  std::string connection_string;  // --connection-string / KILN_CONNECTION_STRING / AZURE_STORAGE_CONNECTION_STRING
  std::string ca_file;            // --ca-file / KILN_CA_FILE
  std::string output = "table";   // --output table|json

  // Fills what flags left empty (environment, connection string, defaults).
  // Throws std::invalid_argument for an unusable connection string.
  void resolve();
  client::BlobServiceClient blob_client() const;
  client::BatchClient batch_client() const;
  bool json() const { return output == "json"; }
};

// Adds the exit-code table to a verb group's --help.
void describe_exit_codes(CLI::App* group);

// Adds the connection and output options to `cmd`; returns the context they fill.
std::shared_ptr<ClientContext> add_client_options(CLI::App* cmd);

// Runs a verb: resolves the context, calls `body`, and turns exceptions into a
// message on stderr (what went wrong and what to do) and an exit code; exits the
// process with that code. Used as every client subcommand's callback.
void run_verb(const std::shared_ptr<ClientContext>& ctx, const std::string& verb,
              const std::function<int(ClientContext&)>& body);

// --- output helpers (stdout)
void print_json(const nlohmann::json& value);
// A plain aligned table; `rows` cells are already text.
void print_table(const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows);
// `show` output: JSON as is, or one "key  value" line per top-level property.
void print_entity(const ClientContext& ctx, const nlohmann::json& entity);

// A progress bar on stderr, drawn only when stderr is a terminal.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();
  void update(uint64_t done, uint64_t total);
  void finish();

 private:
  std::string label_;
  bool enabled_;
  bool finished_ = false;
  int last_permille_ = -1;
};

}  // namespace kiln::cli
