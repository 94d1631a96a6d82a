#include "server/kiln_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "batch/batch_service.h"
#include "blob/blob_service.h"
#include "core/file_util.h"
#include "core/http_server.h"
#include "core/log.h"
#include "core/open_file_limit.h"
#include "server/dev_certificate.h"

namespace kiln::server {

struct KilnServer::Impl {
  ServerConfig config;
  std::string ca_file;
  std::string temp_dir;  // in-memory mode: node sandboxes and TLS material
  std::unique_ptr<blob::BlobService> blob;
  std::unique_ptr<batch::BatchService> batch;
  std::unique_ptr<http::HttpServer> blob_http;
  std::unique_ptr<http::HttpServer> batch_http;
  std::atomic<batch::BatchService*> batch_ready{nullptr};
  bool started = false;

  std::string scheme() const { return ca_file.empty() && config.tls_cert.empty() ? "http" : "https"; }
  std::string host_for_urls() const {
    return config.host == "0.0.0.0" || config.host == "::" ? "127.0.0.1" : config.host;
  }
};

std::string default_data_dir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::string(xdg) + "/kiln";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.local/share/kiln";
  return "/var/lib/kiln";
}

KilnServer::KilnServer(ServerConfig config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
}

KilnServer::~KilnServer() { stop(); }

void KilnServer::start() {
  Impl& s = *impl_;
  ServerConfig& c = s.config;
  raise_open_file_limit();
  if (c.in_memory) {
    char tmpl[] = "/tmp/kiln-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("cannot create a temporary directory");
    // Non-admin tasks (another user) must traverse it to reach their node directory.
    ::chmod(tmpl, 0711);
    s.temp_dir = tmpl;
  } else {
    if (c.data_dir.empty()) c.data_dir = default_data_dir();
    fs::make_dirs(c.data_dir);
  }
  std::string root = c.in_memory ? s.temp_dir : c.data_dir;

  http::ServerOptions blob_opts, batch_opts;
  blob_opts.host = batch_opts.host = c.host;
  blob_opts.port = c.blob_port;
  batch_opts.port = c.batch_port;
  if (c.tls_dev_cert && c.tls_cert.empty()) {
    CertificateFiles files = ensure_dev_certificate(root + "/tls");
    c.tls_cert = files.cert_file;
    c.tls_key = files.key_file;
    s.ca_file = files.cert_file;
  } else if (!c.tls_cert.empty()) {
    s.ca_file = c.tls_cert;
  }
  blob_opts.tls_cert_file = batch_opts.tls_cert_file = c.tls_cert;
  blob_opts.tls_key_file = batch_opts.tls_key_file = c.tls_key;

  s.blob = std::make_unique<blob::BlobService>(
      blob::BlobServiceOptions{root + "/blob", c.in_memory, &c.accounts, c.oauth, c.container_soft_delete_days,
                                c.blob_versioning, c.blob_immutability});
  blob_opts.on_bad_request = [&s](int status, const http::Request& req, http::Response& res) {
    s.blob->on_bad_request(status, req, res);
  };
  blob_opts.spool_body = [&s](const http::Request& head) { return s.blob->spool_body(head); };
  s.blob_http = std::make_unique<http::HttpServer>(
      blob_opts, [&s](http::Request& req, http::Response& res) { s.blob->handle(req, res); });
  s.blob_http->start();

  // The Batch service needs its own URL (for AZ_BATCH_ACCOUNT_URL and OData
  // metadata), so bind first and build the service once the port is known.
  batch_opts.on_bad_request = [&s](int status, const http::Request& req, http::Response& res) {
    s.batch->on_bad_request(status, req, res);
  };
  s.batch_http = std::make_unique<http::HttpServer>(
      batch_opts, [&s](http::Request& req, http::Response& res) {
        batch::BatchService* service = s.batch_ready.load();
        if (service) return service->handle(req, res);
        res.status = 503;  // only in the instant between bind and service start
        res.headers.set("Retry-After", "1");
      });
  batch::BatchServiceOptions bopts;
  bopts.data_dir = root + "/batch";
  bopts.in_memory = c.in_memory;
  bopts.accounts = &c.accounts;
  bopts.ca_file = s.ca_file;
  // Requests can only arrive after start(); batch_http's handler is not called before.
  s.batch_http->start();
  bopts.account_url_base = batch_endpoint();
  s.batch = std::make_unique<batch::BatchService>(std::move(bopts));
  s.batch->start();
  s.batch_ready = s.batch.get();
  s.started = true;
}

void KilnServer::stop() {
  Impl& s = *impl_;
  if (s.batch_http) s.batch_http->stop();
  if (s.blob_http) s.blob_http->stop();
  s.batch_ready = nullptr;
  if (s.batch) s.batch->stop();
  s.batch.reset();
  s.blob.reset();
  s.batch_http.reset();
  s.blob_http.reset();
  if (!s.temp_dir.empty()) {
    fs::remove_all(s.temp_dir);
    s.temp_dir.clear();
  }
  s.started = false;
}

std::string KilnServer::blob_base_url() const {
  return impl_->scheme() + "://" + impl_->host_for_urls() + ":" + std::to_string(impl_->blob_http->port());
}

std::string KilnServer::blob_endpoint() const {
  return blob_base_url() + "/" + impl_->config.accounts.all().front().name;
}

std::string KilnServer::batch_endpoint() const {
  return impl_->scheme() + "://" + impl_->host_for_urls() + ":" + std::to_string(impl_->batch_http->port());
}

std::string KilnServer::ca_file() const { return impl_->ca_file; }
const ServerConfig& KilnServer::config() const { return impl_->config; }

}  // namespace kiln::server
