#include "http_wire.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <strings.h>

namespace kiln::bench {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Calls f(name, value) for each header line of a response head.
template <typename F>
void for_each_header(std::string_view head, F&& f) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    size_t start = pos + 2;
    size_t end = head.find("\r\n", start);
    if (end == std::string_view::npos) end = head.size();
    std::string_view line = head.substr(start, end - start);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      if (f(trim(line.substr(0, colon)), trim(line.substr(colon + 1)))) return;
    }
    pos = end == head.size() ? std::string_view::npos : end;
  }
}

}  // namespace

std::string request_head(std::string_view method, std::string_view target, std::string_view host,
                         const std::vector<std::string>& headers, long long content_length) {
  std::string s;
  s.reserve(256 + target.size());
  s.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
  for (const auto& h : headers) s.append(h).append("\r\n");
  if (content_length >= 0) s.append("Content-Length: ").append(std::to_string(content_length)).append("\r\n");
  s.append("\r\n");
  return s;
}

void ResponseParser::reset() {
  state_ = State::kHead;
  line_.clear();
  head_.clear();
  body_.clear();
  status_ = 0;
  keep_alive_ = true;
  remaining_ = 0;
  body_bytes_ = 0;
}

std::string ResponseParser::header(std::string_view name) const {
  std::string out;
  for_each_header(head_, [&](std::string_view n, std::string_view v) {
    if (!iequals(n, name)) return false;
    out = std::string(v);
    return true;
  });
  return out;
}

void ResponseParser::take_body(const char* p, size_t n) {
  body_bytes_ += n;
  if (keep_body_) body_.append(p, n);
}

bool ResponseParser::parse_head() {
  // "HTTP/1.1 200 OK"
  if (head_.size() < 12 || head_.compare(0, 5, "HTTP/") != 0) return false;
  status_ = std::atoi(head_.c_str() + 9);
  if (status_ < 100) return false;
  bool http10 = head_.compare(0, 8, "HTTP/1.0") == 0;
  keep_alive_ = !http10;
  bool chunked = false;
  long long length = -1;
  for_each_header(head_, [&](std::string_view n, std::string_view v) {
    if (iequals(n, "content-length")) length = std::atoll(std::string(v).c_str());
    else if (iequals(n, "transfer-encoding")) chunked = v.find("chunked") != std::string_view::npos;
    else if (iequals(n, "connection")) {
      if (iequals(v, "close")) keep_alive_ = false;
      else if (iequals(v, "keep-alive")) keep_alive_ = true;
    }
    return false;
  });
  if (status_ == 204 || status_ == 304 || (status_ >= 100 && status_ < 200)) {
    state_ = State::kDone;
  } else if (chunked) {
    state_ = State::kChunkSize;
  } else if (length >= 0) {
    remaining_ = static_cast<uint64_t>(length);
    state_ = remaining_ == 0 ? State::kDone : State::kBody;
  } else {
    keep_alive_ = false;
    state_ = State::kUntilClose;
  }
  return true;
}

size_t ResponseParser::feed(const char* data, size_t n) {
  size_t used = 0;
  while (used < n && state_ != State::kDone && state_ != State::kFailed) {
    const char* p = data + used;
    size_t avail = n - used;
    switch (state_) {
      case State::kHead: {
        size_t before = line_.size();
        line_.append(p, avail);
        size_t from = before >= 3 ? before - 3 : 0;
        size_t end = line_.find("\r\n\r\n", from);
        if (end == std::string::npos) {
          if (line_.size() > 64 * 1024) state_ = State::kFailed;
          used += avail;
          break;
        }
        size_t head_len = end + 4;
        used += head_len - before;
        head_.assign(line_, 0, head_len);
        line_.clear();
        if (!parse_head()) state_ = State::kFailed;
        break;
      }
      case State::kBody: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, avail));
        take_body(p, take);
        remaining_ -= take;
        used += take;
        if (remaining_ == 0) state_ = State::kDone;
        break;
      }
      case State::kUntilClose:
        take_body(p, avail);
        used += avail;
        break;
      case State::kChunkSize:
      case State::kChunkEnd:
      case State::kTrailers: {
        // Line-oriented states: gather one CRLF-terminated line.
        const char* nl = static_cast<const char*>(memchr(p, '\n', avail));
        size_t take = nl ? static_cast<size_t>(nl - p) + 1 : avail;
        line_.append(p, take);
        used += take;
        if (!nl) {
          if (line_.size() > 8192) state_ = State::kFailed;
          break;
        }
        std::string line = std::move(line_);
        line_.clear();
        if (state_ == State::kChunkSize) {
          char* end = nullptr;
          unsigned long long size = std::strtoull(line.c_str(), &end, 16);
          if (end == line.c_str()) { state_ = State::kFailed; break; }
          remaining_ = size;
          state_ = size == 0 ? State::kTrailers : State::kChunkData;
        } else if (state_ == State::kChunkEnd) {
          state_ = State::kChunkSize;
        } else if (line == "\r\n" || line == "\n") {
          state_ = State::kDone;
        }
        break;
      }
      case State::kChunkData: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, avail));
        take_body(p, take);
        remaining_ -= take;
        used += take;
        if (remaining_ == 0) state_ = State::kChunkEnd;
        break;
      }
      default:
        break;
    }
  }
  return used;
}

void ResponseParser::feed_eof() {
  if (state_ == State::kUntilClose) state_ = State::kDone;
  else if (state_ != State::kDone) state_ = State::kFailed;
  keep_alive_ = false;
}

}  // namespace kiln::bench
