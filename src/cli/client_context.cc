#include "cli/client_context.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "kiln/credentials.h"
#include "kiln/errors.h"

namespace kiln::cli {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

void fill(std::string& field, const std::string& value) {
  if (field.empty()) field = value;
}

// What to do about a failure, in a sentence a person can act on.
std::string hint_for(const client::ServiceError& e, const ClientContext& ctx) {
  const std::string& c = e.code();
  if (e.status() == 403 || c == "AuthenticationFailed")
    return "check the account name and key (--account-name/--account-key or KILN_ACCOUNT_NAME/"
           "KILN_ACCOUNT_KEY); account in use: " + ctx.account_name;
  if (e.status() == 404) return "check the id; `kiln <pool|job|task|node|blob> list` shows what exists";
  if (e.status() == 409) return "it already exists or is busy: choose another id, or delete it first";
  if (e.status() == 400) return "the service rejected the request as invalid; see the message above";
  return {};
}

}  // namespace

void ClientContext::resolve() {
  fill(batch_endpoint, env("KILN_BATCH_ENDPOINT"));
  fill(blob_endpoint, env("KILN_BLOB_ENDPOINT"));
  fill(account_name, env("KILN_ACCOUNT_NAME"));
  fill(account_key, env("KILN_ACCOUNT_KEY"));
  fill(ca_file, env("KILN_CA_FILE"));
  fill(connection_string, env("KILN_CONNECTION_STRING"));
  fill(connection_string, env("AZURE_STORAGE_CONNECTION_STRING"));
  if (!connection_string.empty()) {
    auto cs = client::ConnectionString::parse(connection_string);
    fill(blob_endpoint, cs.blob_endpoint);
    fill(batch_endpoint, cs.batch_endpoint);
    fill(account_name, cs.account_name);
    fill(account_key, cs.account_key);
  }
  fill(account_name, std::string(client::kDevelopmentAccount));
  fill(account_key, std::string(client::kDevelopmentKey));
  fill(blob_endpoint, "http://127.0.0.1:10000/" + account_name);
  fill(batch_endpoint, "http://127.0.0.1:10100");
}

client::BlobServiceClient ClientContext::blob_client() const {
  client::ClientOptions o;
  o.ca_file = ca_file;
  return client::BlobServiceClient(blob_endpoint, {account_name, account_key}, o);
}

client::BatchClient ClientContext::batch_client() const {
  client::ClientOptions o;
  o.ca_file = ca_file;
  return client::BatchClient(batch_endpoint, {account_name, account_key}, o);
}

void describe_exit_codes(CLI::App* group) {
  group->footer(
      "Exit codes: 0 done; 1 the service refused the request or a task failed; 2 options that do not fit;\n"
      "3 not found; 4 no server at the endpoint; 5 account name or key rejected; 6 timed out waiting.\n"
      "Endpoints and account: flags, else KILN_BATCH_ENDPOINT, KILN_BLOB_ENDPOINT, KILN_ACCOUNT_NAME,\n"
      "KILN_ACCOUNT_KEY, else a connection string, else the local development account and default ports.");
}

std::shared_ptr<ClientContext> add_client_options(CLI::App* cmd) {
  auto ctx = std::make_shared<ClientContext>();
  const char* group = "Connection";
  cmd->add_option("--batch-endpoint", ctx->batch_endpoint, "Batch account URL [env KILN_BATCH_ENDPOINT]")
      ->group(group);
  cmd->add_option("--blob-endpoint", ctx->blob_endpoint, "Blob account URL [env KILN_BLOB_ENDPOINT]")
      ->group(group);
  cmd->add_option("--account-name", ctx->account_name, "Account name [env KILN_ACCOUNT_NAME]")->group(group);
  cmd->add_option("--account-key", ctx->account_key, "Account key, base64 [env KILN_ACCOUNT_KEY]")
      ->group(group);
  cmd->add_option("--connection-string", ctx->connection_string,
                  "Storage connection string [env KILN_CONNECTION_STRING, AZURE_STORAGE_CONNECTION_STRING]")
      ->group(group);
  cmd->add_option("--ca-file", ctx->ca_file, "Extra CA certificate to trust for HTTPS [env KILN_CA_FILE]")
      ->group(group);
  cmd->add_option("-o,--output", ctx->output, "Output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  return ctx;
}

void run_verb(const std::shared_ptr<ClientContext>& ctx, const std::string& verb,
              const std::function<int(ClientContext&)>& body) {
  int code = kExitFailure;
  try {
    ctx->resolve();
    code = body(*ctx);
  } catch (const client::ServiceError& e) {
    std::cerr << "kiln " << verb << ": " << (e.code().empty() ? "error" : e.code()) << " (HTTP "
              << e.status() << "): " << e.message() << "\n";
    std::string hint = hint_for(e, *ctx);
    if (!hint.empty()) std::cerr << "  hint: " << hint << "\n";
    if (!e.request_id().empty()) std::cerr << "  request id: " << e.request_id() << "\n";
    code = e.status() == 404 ? kExitNotFound
           : (e.status() == 403 || e.code() == "AuthenticationFailed") ? kExitAuthentication
                                                                        : kExitFailure;
  } catch (const client::TransportError& e) {
    std::cerr << "kiln " << verb << ": cannot reach the service: " << e.what() << "\n"
              << "  hint: is Kiln running? Start it with `kiln serve`, or point to a server with "
                 "--batch-endpoint/--blob-endpoint (now " << ctx->batch_endpoint << " and "
              << ctx->blob_endpoint << ")\n";
    code = kExitUnreachable;
  } catch (const std::invalid_argument& e) {
    std::cerr << "kiln " << verb << ": " << e.what() << "\n";
    code = kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "kiln " << verb << ": " << e.what() << "\n";
    code = kExitFailure;
  }
  std::cout.flush();
  std::exit(code);
}

void print_json(const nlohmann::json& value) { std::cout << value.dump(2) << std::endl; }

void print_table(const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) width[i] = headers[i].size();
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size() && i < width.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    std::cout << out << "\n";
  };
  line(headers);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& row : rows) line(row);
  std::cout.flush();
}

void print_entity(const ClientContext& ctx, const nlohmann::json& entity) {
  if (ctx.json() || !entity.is_object()) {
    print_json(entity);
    return;
  }
  size_t width = 0;
  for (const auto& [k, v] : entity.items())
    if (k.rfind("odata.", 0) != 0) width = std::max(width, k.size());
  for (const auto& [k, v] : entity.items()) {
    if (k.rfind("odata.", 0) == 0) continue;
    std::cout << k << std::string(width - k.size() + 2, ' ') << (v.is_string() ? v.get<std::string>() : v.dump())
              << "\n";
  }
  std::cout.flush();
}

ProgressBar::ProgressBar(std::string label) : label_(std::move(label)), enabled_(isatty(2) == 1) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(uint64_t done, uint64_t total) {
  if (!enabled_ || finished_) return;
  int permille = total ? int(done * 1000 / total) : 1000;
  if (permille == last_permille_) return;
  last_permille_ = permille;
  constexpr int kWidth = 30;
  int filled = permille * kWidth / 1000;
  std::cerr << "\r" << label_ << " [" << std::string(filled, '#') << std::string(kWidth - filled, ' ') << "] "
            << permille / 10 << "% (" << done << "/" << total << ")" << std::flush;
}

void ProgressBar::finish() {
  if (enabled_ && !finished_ && last_permille_ >= 0) std::cerr << "\n";
  finished_ = true;
}

}  // namespace kiln::cli
