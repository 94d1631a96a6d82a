// `kiln serve`: runs the Blob and Batch services until SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <pthread.h>

#include "cli/commands.h"
#include "core/accounts.h"
#include "core/crypto.h"
#include "server/kiln_server.h"

namespace kiln::cli {
namespace {

struct ServeOptions {
  server::ServerConfig config;
  bool tls = false;
};

void print_ready(const server::KilnServer& s) {
  const Account& dev = s.config().accounts.all().front();
  std::string key = crypto::base64_encode(dev.keys.front());
  std::cout << "Kiln is ready.\n"
            << "  Blob service:   " << s.blob_endpoint() << "\n"
            << "  Batch service:  " << s.batch_endpoint() << "\n"
            << "  Account name:   " << dev.name << "\n"
            << "  Account key:    " << key << "\n"
            << "  Connection string: DefaultEndpointsProtocol="
            << (s.ca_file().empty() ? "http" : "https") << ";AccountName=" << dev.name
            << ";AccountKey=" << key << ";BlobEndpoint=" << s.blob_endpoint() << ";\n";
  if (!s.ca_file().empty()) std::cout << "  TLS certificate (trust it in clients): " << s.ca_file() << "\n";
  std::cout << "  Data directory: " << (s.config().in_memory ? "(in memory)" : s.config().data_dir)
            << std::endl;
}

int run_serve(ServeOptions& o) {
  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  try {
    o.config.accounts = AccountRegistry::from_environment();
  } catch (const std::exception& e) {
    std::cerr << "kiln serve: KILN_ACCOUNTS is invalid: " << e.what() << "\n";
    return 2;
  }
  o.config.tls_dev_cert = o.tls;
  if (o.config.tls_cert.empty() != o.config.tls_key.empty()) {
    std::cerr << "kiln serve: --tls-cert and --tls-key go together\n";
    return 2;
  }
  server::KilnServer server(o.config);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "kiln serve: cannot start: " << e.what()
              << "\n(is another server using the port? choose others with --blob-port/--batch-port)\n";
    return 1;
  }
  print_ready(server);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::cout << "Stopping (signal " << sig << ")..." << std::endl;
  server.stop();
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto opts = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "Run the Blob and Batch services");
  cmd->add_option("--host", opts->config.host, "Address to listen on")->envname("KILN_HOST");
  cmd->add_option("--blob-port", opts->config.blob_port, "Blob service port (0: any free port)")
      ->envname("KILN_BLOB_PORT");
  cmd->add_option("--batch-port", opts->config.batch_port, "Batch service port (0: any free port)")
      ->envname("KILN_BATCH_PORT");
  cmd->add_option("--data-dir", opts->config.data_dir, "Where blobs and metadata are kept")
      ->envname("KILN_DATA_DIR");
  cmd->add_flag("--in-memory", opts->config.in_memory, "Keep nothing after the server stops");
  cmd->add_flag("--tls", opts->tls, "Serve HTTPS with a development certificate Kiln creates");
  cmd->add_flag("--oauth", opts->config.oauth,
                "Blob service: accept Azure AD bearer tokens over HTTPS, checking their claims but not their "
                "signature (development only)");
  cmd->add_option("--container-soft-delete-days", opts->config.container_soft_delete_days,
                  "Blob service: keep deleted containers this many days for Restore Container (0: off; on Azure "
                  "the account's container soft delete policy)")
      ->check(CLI::Range(0, 365))
      ->envname("KILN_CONTAINER_SOFT_DELETE_DAYS");
  cmd->add_flag("--blob-versioning", opts->config.blob_versioning,
                "Blob service: keep every overwritten or deleted blob as a previous version, read by ?versionid= "
                "(on Azure the account's versioning setting)")
      ->envname("KILN_BLOB_VERSIONING");
  cmd->add_flag("--blob-immutability", opts->config.blob_immutability,
                "Blob service: version-level immutability policies and legal holds on every container (turns "
                "versioning on; on Azure the account's version-level immutability support)")
      ->envname("KILN_BLOB_IMMUTABILITY");
  cmd->add_option("--tls-cert", opts->config.tls_cert, "PEM certificate chain for HTTPS")->check(CLI::ExistingFile);
  cmd->add_option("--tls-key", opts->config.tls_key, "PEM private key for HTTPS")->check(CLI::ExistingFile);
  cmd->callback([opts] { std::exit(run_serve(*opts)); });
}

}  // namespace kiln::cli
