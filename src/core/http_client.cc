#include "core/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <map>
#include <optional>

#include "core/url.h"

namespace kiln::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// One kept-alive connection; exactly one of plain/tls is set.
struct Connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
};

}  // namespace

struct HttpClient::Impl {
  ClientOptions options;
  net::io_context io;
  net::ssl::context ssl{net::ssl::context::tls_client};
  // Loading the system CA bundle costs ~50 ms; only HTTPS connections need it.
  bool default_verify_paths_loaded = false;
  std::map<std::string, std::unique_ptr<Connection>> pool;  // "scheme://host:port"

  std::unique_ptr<Connection> connect(const url::Url& u) {
    tcp::resolver resolver(io);
    std::string host = u.host;
    if (host == "localhost" || ends_with(host, ".localhost")) host = "127.0.0.1";
    if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
    beast::error_code ec;
    auto results = resolver.resolve(host, std::to_string(u.port), ec);
    if (ec) throw ClientError("cannot resolve " + u.host + ": " + ec.message());
    auto c = std::make_unique<Connection>();
    auto timeout = std::chrono::milliseconds(options.timeout_ms);
    if (u.scheme == "https") {
      if (!default_verify_paths_loaded) {
        ssl.set_default_verify_paths();
        default_verify_paths_loaded = true;
      }
      c->tls.emplace(io, ssl);
      beast::get_lowest_layer(*c->tls).expires_after(timeout);
      beast::get_lowest_layer(*c->tls).connect(results, ec);
      if (ec) throw ClientError("cannot connect to " + u.host + ": " + ec.message());
      if (!SSL_set_tlsext_host_name(c->tls->native_handle(), u.host.c_str()))
        throw ClientError("cannot set TLS SNI");
      if (options.verify_tls) c->tls->set_verify_callback(net::ssl::host_name_verification(u.host));
      c->tls->handshake(net::ssl::stream_base::client, ec);
      if (ec) throw ClientError("TLS handshake with " + u.host + " failed: " + ec.message());
    } else if (u.scheme == "http") {
      c->plain.emplace(io);
      c->plain->expires_after(timeout);
      c->plain->connect(results, ec);
      if (ec) throw ClientError("cannot connect to " + u.host + ": " + ec.message());
      c->plain->socket().set_option(tcp::no_delay(true), ec);
    } else {
      throw ClientError("unsupported URL scheme: " + u.scheme);
    }
    return c;
  }

  template <class Stream>
  ClientResponse exchange(Stream& stream, beast::flat_buffer& buffer,
                          bhttp::request<bhttp::string_body>& req,
                          const std::function<void(std::string_view)>* sink,
                          const std::function<void(const ClientResponse&)>* on_head, bool& keep) {
    beast::get_lowest_layer(stream).expires_after(std::chrono::milliseconds(options.timeout_ms));
    bhttp::write(stream, req);
    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (req.method() == bhttp::verb::head) parser.skip(true);
    bhttp::read_header(stream, buffer, parser);
    ClientResponse out;
    out.status = int(parser.get().result_int());
    for (const auto& f : parser.get()) out.headers.add(f.name_string(), std::string(f.value()));
    if (on_head) (*on_head)(out);
    char chunk[64 << 10];
    while (!parser.is_done()) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      beast::error_code ec;
      bhttp::read(stream, buffer, parser, ec);
      if (ec && ec != bhttp::error::need_buffer) throw beast::system_error(ec);
      size_t n = sizeof chunk - parser.get().body().size;
      beast::get_lowest_layer(stream).expires_after(std::chrono::milliseconds(options.timeout_ms));
      if (n == 0) continue;
      if (sink) (*sink)(std::string_view(chunk, n));
      else out.body.append(chunk, n);
    }
    keep = parser.get().keep_alive();
    return out;
  }

  ClientResponse send(std::string_view method, std::string_view target_url, const Headers& headers,
                      std::string_view body, const std::function<void(std::string_view)>* sink,
                      const std::function<void(const ClientResponse&)>* on_head = nullptr) {
    auto u = url::parse(target_url);
    if (!u) throw ClientError("invalid URL: " + std::string(target_url));
    bhttp::request<bhttp::string_body> req;
    req.version(11);
    req.method_string(std::string(method));
    req.target(u->target());
    bool default_port = (u->scheme == "https" && u->port == 443) || (u->scheme == "http" && u->port == 80);
    req.set(bhttp::field::host, default_port ? u->host : u->host + ":" + std::to_string(u->port));
    for (const auto& [k, v] : headers.all()) req.insert(k, v);
    req.body() = std::string(body);
    if (!headers.has("Content-Length")) req.content_length(body.size());
    std::string key = u->scheme + "://" + u->host + ":" + std::to_string(u->port);
    // A pooled connection may have been closed by the server: retry once on a new one,
    // but only if nothing of the response was delivered to a sink.
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool reused = pool.count(key) > 0;
      std::unique_ptr<Connection> c = reused ? std::move(pool[key]) : connect(*u);
      pool.erase(key);
      try {
        bool keep = false;
        ClientResponse r = c->tls ? exchange(*c->tls, c->buffer, req, sink, on_head, keep)
                                  : exchange(*c->plain, c->buffer, req, sink, on_head, keep);
        if (keep) pool[key] = std::move(c);
        return r;
      } catch (const beast::system_error& e) {
        if (!reused || attempt == 1) throw ClientError(std::string(method) + " " + u->host + ": " + e.what());
      }
    }
    throw ClientError("unreachable");
  }
};

HttpClient::HttpClient(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (!impl_->options.ca_file.empty()) impl_->ssl.load_verify_file(impl_->options.ca_file);
  impl_->ssl.set_verify_mode(impl_->options.verify_tls ? net::ssl::verify_peer : net::ssl::verify_none);
}

HttpClient::~HttpClient() = default;

ClientResponse HttpClient::send(std::string_view method, std::string_view url, const Headers& headers,
                                std::string_view body) {
  return impl_->send(method, url, headers, body, nullptr);
}

ClientResponse HttpClient::send(std::string_view method, std::string_view url, const Headers& headers,
                                std::string_view body,
                                const std::function<void(std::string_view)>& sink) {
  return impl_->send(method, url, headers, body, &sink);
}

ClientResponse HttpClient::send(std::string_view method, std::string_view url, const Headers& headers,
                                std::string_view body, const std::function<void(const ClientResponse&)>& on_head,
                                const std::function<void(std::string_view)>& sink) {
  return impl_->send(method, url, headers, body, &sink, &on_head);
}

}  // namespace kiln::http
