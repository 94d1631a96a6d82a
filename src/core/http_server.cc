// The only translation unit that includes Boost.Beast for serving: requests are
// converted to kiln::http::Request and back, so handlers stay free of Boost.
#include "core/http_server.h"

#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/file_util.h"
#include "core/log.h"
#include "core/time_format.h"
#include "core/url.h"

namespace kiln::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kReadBufferBytes = 16 << 10;  // per connection, kept across its requests

// Fills the parts of `req` that come from the request line and headers.
bool fill_request(const bhttp::request_parser<bhttp::string_body>& parser, Request& req) {
  const auto& msg = parser.get();
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  for (const auto& field : msg) req.headers.add(field.name_string(), std::string(field.value()));
  size_t q = req.target.find('?');
  req.raw_path = req.target.substr(0, q);
  req.raw_query = q == std::string::npos ? "" : req.target.substr(q + 1);
  auto path = url::decode(req.raw_path);
  auto query = url::parse_query(req.raw_query);
  if (!path || !query) return false;
  req.path = std::move(*path);
  req.query = std::move(*query);
  return true;
}

int native_fd(tcp::socket& socket) { return socket.native_handle(); }
template <class Stream>
int native_fd(Stream&) {
  return -1;  // not a plain socket: deferred responses are awaited, not sent from elsewhere
}

// Copies a file range to a TLS peer through a bounded buffer (memory stays flat).
template <class Stream>
void send_range(Stream& stream, const FileBody& f, std::string& chunk) {
  if (chunk.empty()) chunk.resize(256 << 10);
  uint64_t offset = f.offset, left = f.length;
  while (left > 0) {
    size_t n = size_t(std::min<uint64_t>(left, chunk.size()));
    fs::pread_all(*f.fd, chunk.data(), n, offset);
    net::write(stream, net::buffer(chunk.data(), n));
    offset += n;
    left -= n;
  }
}

// Plain TCP: sendfile(2) moves the bytes from the page cache to the socket
// without a copy through user space (SIGPIPE is ignored by start()).
void send_range(tcp::socket& socket, const FileBody& f, std::string&) {
  off_t offset = off_t(f.offset);
  uint64_t left = f.length;
  while (left > 0) {
    ssize_t n = ::sendfile(socket.native_handle(), *f.fd, &offset,
                           size_t(std::min<uint64_t>(left, 1u << 30)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{socket.native_handle(), POLLOUT, 0};
      ::poll(&p, 1, -1);
      continue;
    }
    if (n < 0) throw std::system_error(errno, std::generic_category(), "sendfile");
    if (n == 0) throw std::system_error(EIO, std::generic_category(), "sendfile: file shorter than its range");
    left -= uint64_t(n);
  }
}

// The status line and headers, serialised by hand: building Beast's field
// container for every response cost more than the rest of a small GET's reply.
std::string response_head(const Response& res, uint64_t content_length, bool send_length, bool keep_alive) {
  std::string head;
  head.reserve(512);
  head += "HTTP/1.1 ";
  head += std::to_string(res.status);
  head += ' ';
  auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(res.status));
  head.append(reason.data(), reason.size());
  head += "\r\n";
  for (const auto& [name, value] : res.headers.all()) {
    if (beast::iequals(name, "Content-Length") && send_length) continue;  // set below
    head += name;
    head += ": ";
    // Values come from parsed requests and stored records; a CR or LF must
    // still never split a header (response splitting).
    for (char c : value) head += (c == '\r' || c == '\n') ? ' ' : c;
    head += "\r\n";
  }
  if (!res.headers.has("Date")) {
    head += "Date: ";
    head += timefmt::rfc1123(timefmt::now());
    head += "\r\n";
  }
  if (send_length) {
    head += "Content-Length: ";
    head += std::to_string(content_length);
    head += "\r\n";
  }
  if (!keep_alive) head += "Connection: close\r\n";
  head += "\r\n";
  return head;
}

// The status line and headers of `res` with its Content-Length; `no_body`
// tells whether a body follows them.
std::string head_of(bool head_only, Response& res, bool keep_alive, bool& no_body) {
  no_body = head_only || res.suppress_body || res.status == 204 || res.status == 304;
  if (res.file) res.files.insert(res.files.begin(), std::move(*res.file));
  uint64_t length = res.body.size();
  if (!res.files.empty()) {
    length = 0;
    for (const auto& f : res.files) length += f.length;
  }
  // A HEAD or 304 may carry the entity's own Content-Length (set by the handler).
  bool send_length = !res.files.empty() || !res.headers.has("Content-Length") || !no_body;
  return response_head(res, length, send_length, keep_alive);
}

template <class Stream>
void send_response(Stream& stream, bool head_only, Response& res, bool keep_alive) {
  bool no_body = false;
  std::string head = head_of(head_only, res, keep_alive, no_body);
  if (no_body) {
    net::write(stream, net::buffer(head));
    return;
  }
  if (!res.files.empty()) {
    // Headers first; file bodies follow in bounded chunks so memory stays flat.
    net::write(stream, net::buffer(head));
    std::string chunk;
    for (const auto& f : res.files) send_range(stream, f, chunk);
    return;
  }
  std::array<net::const_buffer, 2> parts{net::buffer(head), net::buffer(res.body)};
  net::write(stream, parts);
}

// The bytes of a deferred response (in-memory body only).
std::string deferred_bytes(bool head_only, Response& res) {
  if (res.file || !res.files.empty()) throw std::logic_error("a deferred response must have its body in memory");
  bool no_body = false;
  std::string bytes = head_of(head_only, res, true, no_body);
  if (!no_body) bytes += res.body;
  return bytes;
}

// Sends bytes[from..] on a socket; with `wait` false only what fits in the
// socket's buffer now. Returns how far it got.
size_t send_bytes(int fd, const std::string& bytes, size_t from, bool wait) {
  while (from < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + from, bytes.size() - from, MSG_NOSIGNAL | (wait ? 0 : MSG_DONTWAIT));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait) return from;
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, -1);
      continue;
    }
    if (n < 0) throw std::system_error(errno, std::generic_category(), "send");
    from += size_t(n);
  }
  return from;
}

// A connection's deferred response still being finished elsewhere: the
// connection reads on, but handles nothing more, and never closes, before it is sent.
class InFlight {
 public:
  void begin() {
    std::lock_guard<std::mutex> lk(mu_);
    busy_ = true;
  }
  void end() {
    std::lock_guard<std::mutex> lk(mu_);
    busy_ = false;
    done_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lk(mu_);
    done_.wait(lk, [&] { return !busy_; });
  }
  ~InFlight() { wait(); }

 private:
  std::mutex mu_;
  std::condition_variable done_;
  bool busy_ = false;
};

}  // namespace

struct HttpServer::Impl {
  ServerOptions options;
  Handler handler;
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  std::unique_ptr<net::ssl::context> ssl;
  std::thread accept_thread;
  std::mutex mu;
  std::condition_variable idle;
  std::set<int> open_sockets;  // native handles, shut down on stop()
  size_t connections = 0;
  bool stopping = false;
  uint16_t bound_port = 0;

  void accept_loop();
  void serve(tcp::socket socket);
  template <class Stream>
  void session(Stream& stream, const std::string& remote, bool secure);
};

// Reads the rest of the body through `parser` into `sink`, a bounded buffer at
// a time. Returns 0 when the body is in, 413 past `limit`, 400 for a malformed
// body, 500 if the sink failed (the connection must then close: the body is
// not drained), -1 if the peer went away.
template <class Stream>
int read_spooled(Stream& stream, beast::flat_buffer& buffer,
                 bhttp::request_parser<bhttp::string_body>& head_parser, uint64_t limit, BodySink& sink) {
  bhttp::request_parser<bhttp::buffer_body> parser{std::move(head_parser)};
  parser.body_limit(limit);
  thread_local std::vector<char> chunk(256 << 10);
  try {
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      beast::error_code ec;
      bhttp::read(stream, buffer, parser, ec);
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec == bhttp::error::body_limit) return 413;
      if (ec) {
        bool http_error = ec.category() == bhttp::make_error_code(bhttp::error::need_buffer).category();
        if (!http_error || ec == bhttp::error::partial_message || ec == bhttp::error::end_of_stream)
          return -1;  // the peer went away
        return 400;   // a malformed body (e.g. bad chunk framing)
      }
      size_t n = chunk.size() - parser.get().body().size;
      if (n) sink.append(chunk.data(), n);
    }
    sink.finish();
  } catch (const std::exception& e) {
    LOG_ERROR("request body could not be stored: " << e.what());
    return 500;
  }
  return 0;
}

template <class Stream>
void HttpServer::Impl::session(Stream& stream, const std::string& remote, bool secure) {
  // Beast sizes each read by the buffer's free capacity (512 bytes when
  // empty): reserved up front, a small request arrives in one recv, not nine.
  beast::flat_buffer buffer;
  buffer.reserve(kReadBufferBytes);
  const uint64_t largest_body = std::max(options.max_body_bytes, options.max_spooled_body_bytes);
  InFlight in_flight;  // declared after nothing it outlives: waited for on every return
  while (true) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(uint32_t(options.max_header_bytes));
    // The head decides where the body goes, and with it the limit (below).
    parser.body_limit(options.spool_body ? largest_body : options.max_body_bytes);
    beast::error_code ec;
    bhttp::read_header(stream, buffer, parser, ec);
    in_flight.wait();  // answers go out in order: the previous one first
    Request req;
    req.remote_address = remote;
    req.secure = secure;
    int bad_status = 0;
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::ssl::error::stream_truncated)
      return;
    if (ec == bhttp::error::header_limit) bad_status = 431;
    else if (ec == bhttp::error::body_limit) bad_status = 413;
    else if (ec) bad_status = 400;
    if (!bad_status && !fill_request(parser, req)) bad_status = 400;
    if (!bad_status && options.spool_body && !parser.is_done()) {
      try {
        req.body_sink = options.spool_body(req);
      } catch (const std::exception& e) {
        LOG_ERROR("request body could not be stored: " << e.what());
        bad_status = 500;
      }
    }
    const uint64_t limit = req.body_sink ? options.max_spooled_body_bytes : options.max_body_bytes;
    if (!bad_status) {
      auto cl = parser.content_length();
      if (cl && *cl > limit) bad_status = 413;
    }
    bool keep_alive = !bad_status && parser.get().keep_alive();
    bool expects_continue = beast::iequals(parser.get()[bhttp::field::expect], "100-continue");
    if (!bad_status && req.body_sink && !req.body_sink->wants_body() && expects_continue) {
      // Refused before the client sends its body: answer now, then close
      // (the body it may still send is never read).
      keep_alive = false;
    } else if (!bad_status) {
      if (expects_continue) {
        bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
        bhttp::write(stream, cont, ec);
        if (ec) return;
      }
      if (req.body_sink) {
        int status = read_spooled(stream, buffer, parser, limit, *req.body_sink);
        if (status < 0) return;  // peer went away mid-body: nothing to answer
        if (status) {
          bad_status = status;
          keep_alive = false;  // the rest of the body was not read
        }
      } else {
        parser.body_limit(limit);
        bhttp::read(stream, buffer, parser, ec);
        if (ec == bhttp::error::body_limit) bad_status = 413;
        else if (ec) return;  // peer went away mid-body: nothing to answer
        else req.body = std::move(parser.get().body());
      }
    }
    if (bad_status) keep_alive = false;
    const bool head_only = req.method == "HEAD";  // (a deferring handler may take `req`)
    Response res;
    try {
      if (bad_status) {
        res.status = bad_status;
        req.body_sink.reset();
        if (options.on_bad_request) options.on_bad_request(bad_status, req, res);
      } else {
        handler(req, res);
      }
    } catch (const std::exception& e) {
      LOG_ERROR("handler fault on " << req.method << " " << req.target << ": " << e.what());
      res = Response{};
      res.status = 500;
    }
    req.body_sink.reset();  // a body the handler did not take is discarded now
    if (res.defer) {
      auto defer = std::move(res.defer);
      res = Response{};
      constexpr bool plain = std::is_same_v<Stream, tcp::socket>;
      if (plain && keep_alive) {
        // Sent by whichever thread finishes it; this one reads on.
        int fd = native_fd(stream);
        in_flight.begin();
        try {
          // The finishing thread (a store's) sends what the socket takes
          // now and never waits on this client: a peer that does not read
          // gets the rest from a thread of its own.
          InFlight* flight = &in_flight;  // outlives the answer: the session waits for end()
          defer([flight, fd, head_only](Response&& done) {
            auto failed = [flight, fd](const std::exception& e) {
              LOG_DEBUG("write failed: " << e.what());
              ::shutdown(fd, SHUT_RDWR);  // the connection's thread sees it and ends
              flight->end();
            };
            try {
              std::string bytes = deferred_bytes(head_only, done);
              size_t sent = send_bytes(fd, bytes, 0, false);
              if (sent == bytes.size()) return flight->end();
              std::thread([flight, fd, failed, bytes = std::move(bytes), sent] {
                try {
                  send_bytes(fd, bytes, sent, true);
                  flight->end();
                } catch (const std::exception& e) {
                  failed(e);
                }
              }).detach();
            } catch (const std::exception& e) {
              failed(e);
            }
          });
          continue;
        } catch (const std::exception& e) {  // refused before it took the responder
          in_flight.end();
          LOG_ERROR("handler fault on " << req.method << " " << req.target << ": " << e.what());
          res.status = 500;
        }
      } else {
        // TLS (one thread per stream) or a closing connection: wait for it here.
        std::promise<Response> finished;
        auto response = finished.get_future();
        try {
          defer([&finished](Response&& done) { finished.set_value(std::move(done)); });
          res = response.get();
        } catch (const std::exception& e) {
          LOG_ERROR("handler fault on " << req.method << " " << req.target << ": " << e.what());
          res.status = 500;
        }
      }
    }
    try {
      send_response(stream, head_only, res, keep_alive);
    } catch (const std::exception& e) {
      LOG_DEBUG("write failed: " << e.what());
      return;
    }
    if (!keep_alive) return;
  }
}

void HttpServer::Impl::serve(tcp::socket socket) {
  beast::error_code ec;
  std::string remote = socket.remote_endpoint(ec).address().to_string();
  socket.set_option(tcp::no_delay(true), ec);
  try {
    if (ssl) {
      beast::ssl_stream<tcp::socket> stream(std::move(socket), *ssl);
      stream.handshake(net::ssl::stream_base::server, ec);
      if (!ec) session(stream, remote, true);
      stream.shutdown(ec);
    } else {
      session(socket, remote, false);
      socket.shutdown(tcp::socket::shutdown_send, ec);
    }
  } catch (const std::exception& e) {
    LOG_DEBUG("connection ended: " << e.what());
  }
}

void HttpServer::Impl::accept_loop() {
  while (true) {
    beast::error_code ec;
    tcp::socket socket(io);
    acceptor.accept(socket, ec);
    std::unique_lock<std::mutex> lock(mu);
    if (stopping) return;
    if (ec) continue;
    if (connections >= options.max_connections) continue;  // socket closes on scope exit
    int fd = socket.native_handle();
    open_sockets.insert(fd);
    ++connections;
    lock.unlock();
    std::thread([this, fd, s = std::move(socket)]() mutable {
      serve(std::move(s));
      std::lock_guard<std::mutex> g(mu);
      open_sockets.erase(fd);
      if (--connections == 0) idle.notify_all();
    }).detach();
  }
}

HttpServer::HttpServer(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  Impl& s = *impl_;
  // A peer that hangs up mid-sendfile must cost an EPIPE, not the process.
  std::signal(SIGPIPE, SIG_IGN);
  if (!s.options.tls_cert_file.empty() && !s.options.tls_key_file.empty()) {
    s.ssl = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    s.ssl->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                       net::ssl::context::no_sslv3);
    s.ssl->use_certificate_chain_file(s.options.tls_cert_file);
    s.ssl->use_private_key_file(s.options.tls_key_file, net::ssl::context::pem);
  }
  tcp::endpoint ep(net::ip::make_address(s.options.host), s.options.port);
  s.acceptor.open(ep.protocol());
  s.acceptor.set_option(net::socket_base::reuse_address(true));
  s.acceptor.bind(ep);
  s.acceptor.listen(1024);
  s.bound_port = s.acceptor.local_endpoint().port();
  s.accept_thread = std::thread([this] { impl_->accept_loop(); });
}

void HttpServer::stop() {
  Impl& s = *impl_;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.stopping) return;
    s.stopping = true;
    for (int fd : s.open_sockets) ::shutdown(fd, SHUT_RDWR);
  }
  if (s.accept_thread.joinable()) {
    // Unblock accept() by shutting the listening socket down.
    ::shutdown(s.acceptor.native_handle(), SHUT_RDWR);
    s.accept_thread.join();
  }
  beast::error_code ec;
  s.acceptor.close(ec);
  std::unique_lock<std::mutex> lock(s.mu);
  s.idle.wait(lock, [&] { return s.connections == 0; });
}

uint16_t HttpServer::port() const { return impl_->bound_port; }
bool HttpServer::tls() const { return impl_->ssl != nullptr; }

}  // namespace kiln::http
