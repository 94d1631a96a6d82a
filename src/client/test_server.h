// Test helper: a real kiln::http::HttpServer on a free port whose answers a
// test scripts, recording every request it receives. Test-only.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "core/http_server.h"

namespace kiln::client::testing {

class ScriptedServer {
 public:
  using Script = std::function<void(const http::Request&, http::Response&, size_t index)>;

  explicit ScriptedServer(Script script)
      : script_(std::move(script)),
        server_(http::ServerOptions{}, [this](http::Request& req, http::Response& res) {
          size_t index;
          {
            std::lock_guard lock(mutex_);
            index = requests_.size();
            requests_.push_back(req);
          }
          script_(req, res, index);
        }) {
    server_.start();
  }
  ~ScriptedServer() { server_.stop(); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  std::vector<http::Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  Script script_;
  std::mutex mutex_;
  std::vector<http::Request> requests_;
  http::HttpServer server_;
};

}  // namespace kiln::client::testing
