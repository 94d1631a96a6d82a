// One Kiln process: the Blob service, the Batch service and the compute nodes of
// this machine, each service on its own port. Used by `kiln serve` and by
// `kiln tutorial` (embedded, in-memory, on free ports).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/accounts.h"

namespace kiln::server {

struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t blob_port = 10000;   // 0 picks a free port
  uint16_t batch_port = 10100;  // 0 picks a free port
  std::string data_dir;         // default: $XDG_DATA_HOME/kiln or ~/.local/share/kiln
  bool in_memory = false;       // nothing persists; node sandboxes in a temp dir
  std::string tls_cert;         // PEM certificate chain; with tls_key enables HTTPS
  std::string tls_key;
  bool tls_dev_cert = false;    // HTTPS with a development certificate Kiln creates
  bool oauth = false;           // Blob: accept Azure AD bearer tokens over HTTPS (blob/oauth.h)
  int container_soft_delete_days = 0;  // Blob: keep deleted containers this long (blob/container_soft_delete.h)
  bool blob_versioning = false;        // Blob: keep previous versions (blob/versions.h)
  bool blob_immutability = false;      // Blob: version-level immutability, with versioning (blob/immutability.h)
  AccountRegistry accounts;
};

class KilnServer {
 public:
  explicit KilnServer(ServerConfig config);
  ~KilnServer();
  KilnServer(const KilnServer&) = delete;
  KilnServer& operator=(const KilnServer&) = delete;

  // Opens the stores, recovers state, binds both ports. Throws on failure.
  void start();
  void stop();  // idempotent

  // Base URLs, e.g. "http://127.0.0.1:10000/devstoreaccount1" and "http://127.0.0.1:10100".
  std::string blob_endpoint() const;
  std::string batch_endpoint() const;
  std::string blob_base_url() const;  // without the account path
  // The CA certificate clients must trust when TLS is on ("" otherwise).
  std::string ca_file() const;
  const ServerConfig& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The default persistent data directory.
std::string default_data_dir();

}  // namespace kiln::server
