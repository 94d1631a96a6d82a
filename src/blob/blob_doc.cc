#include "blob/blob_doc.h"

#include <cstdint>
#include <string>

namespace kiln::blob {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  bool at_end() const { return p_ == end_; }
  bool eat(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool peek(char c) const { return p_ != end_ && *p_ == c; }

  bool string(std::string& out) {
    if (!eat('"')) return false;
    out.clear();
    while (p_ != end_) {
      const char* run = p_;
      while (p_ != end_ && *p_ != '"' && *p_ != '\\') ++p_;
      out.append(run, size_t(p_ - run));
      if (p_ == end_) return false;
      if (*p_ == '"') {
        ++p_;
        return true;
      }
      ++p_;  // backslash
      if (p_ == end_) return false;
      char e = *p_++;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo = 0;
            if (!eat('\\') || !eat('u') || !hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          utf8(cp, out);
          break;
        }
        default: return false;
      }
    }
    return false;
  }

  bool integer(int64_t& out) {
    bool neg = eat('-');
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    uint64_t v = 0;
    int digits = 0;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
      v = v * 10 + uint64_t(*p_++ - '0');
      if (++digits > 18) return false;  // beyond what the store writes; let the general parser decide
    }
    if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    out = neg ? -int64_t(v) : int64_t(v);
    return true;
  }

  // Calls member(key) for each member; member consumes the value and returns success.
  template <class F>
  bool object(F&& member) {
    if (!eat('{')) return false;
    if (eat('}')) return true;
    std::string key;
    do {
      if (!string(key) || !eat(':') || !member(key)) return false;
    } while (eat(','));
    return eat('}');
  }

 private:
  bool hex4(uint32_t& out) {
    if (end_ - p_ < 4) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = *p_++;
      out <<= 4;
      if (c >= '0' && c <= '9') out |= uint32_t(c - '0');
      else if (c >= 'a' && c <= 'f') out |= uint32_t(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') out |= uint32_t(c - 'A' + 10);
      else return false;
    }
    return true;
  }
  static void utf8(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  const char* p_;
  const char* end_;
};

}  // namespace

bool read_blob_doc(std::string_view doc, BlobRecord& b) {
  Reader r(doc);
  // Defaults match the general parser's for members a document lacks.
  b.blob_type = "BlockBlob";
  b.size = b.last_modified_us = b.created_us = b.append_count = b.copy_completion_us = 0;
  b.sealed = false;
  b.deleted_us = b.retention_days = 0;
  b.page_ranges.clear();
  b.sequence_number = 0;
  b.incremental_copy = false;
  b.incremental_source_snapshot.clear();
  b.copy_destination_snapshot.clear();
  int64_t incremental = 0;
  int64_t sealed = 0;
  b.etag.clear();
  b.props = BlobProperties{};
  b.metadata.clear();
  b.lease = LeaseRecord{};
  b.access_tier.clear();
  b.tier_changed_us = b.rehydrate_done_us = 0;
  b.rehydrate_tier.clear();
  b.rehydrate_priority.clear();
  b.tags.clear();
  b.copy_id.clear();
  b.copy_source.clear();
  b.copy_status.clear();
  b.copy_progress.clear();
  std::string value;
  bool ok = r.object([&](const std::string& key) -> bool {
    if (key == "type") return r.string(b.blob_type);
    if (key == "size") return r.integer(b.size);
    if (key == "etag") return r.string(b.etag);
    if (key == "mtime") return r.integer(b.last_modified_us);
    if (key == "ctime") return r.integer(b.created_us);
    if (key == "ct") return r.string(b.props.content_type);
    if (key == "ce") return r.string(b.props.content_encoding);
    if (key == "cl") return r.string(b.props.content_language);
    if (key == "md5") return r.string(b.props.content_md5);
    if (key == "cc") return r.string(b.props.cache_control);
    if (key == "cd") return r.string(b.props.content_disposition);
    if (key == "appends") return r.integer(b.append_count);
    if (key == "deleted") return r.integer(b.deleted_us);
    if (key == "retain") return r.integer(b.retention_days);
    if (key == "sealed") {
      if (!r.integer(sealed)) return false;
      b.sealed = sealed != 0;
      return true;
    }
    if (key == "tier") return r.string(b.access_tier);
    if (key == "tchg") return r.integer(b.tier_changed_us);
    if (key == "rhtier") return r.string(b.rehydrate_tier);
    if (key == "rhprio") return r.string(b.rehydrate_priority);
    if (key == "rhdone") return r.integer(b.rehydrate_done_us);
    if (key == "vid") return r.string(b.version_id);
    if (key == "cpk") return r.string(b.customer_key_sha256);
    if (key == "wormu") return r.integer(b.immutable_until_us);
    if (key == "wormm") return r.string(b.immutability_mode);
    if (key == "hold") {
      int64_t hold = 0;
      if (!r.integer(hold)) return false;
      b.legal_hold = hold != 0;
      return true;
    }
    if (key == "pages") return r.string(b.page_ranges);
    if (key == "seq") return r.integer(b.sequence_number);
    if (key == "incr") {
      if (!r.integer(incremental)) return false;
      b.incremental_copy = incremental != 0;
      return true;
    }
    if (key == "isrc") return r.string(b.incremental_source_snapshot);
    if (key == "cdst") return r.string(b.copy_destination_snapshot);
    if (key == "meta")
      return r.object([&](const std::string& k) {
        if (!r.string(value)) return false;
        b.metadata[k] = value;
        return true;
      });
    if (key == "tags")
      return r.object([&](const std::string& k) {
        if (!r.string(value)) return false;
        b.tags[k] = value;
        return true;
      });
    if (key == "lease") {
      b.lease.state = "available";
      return r.object([&](const std::string& k) {
        if (k == "state") return r.string(b.lease.state);
        if (k == "id") return r.string(b.lease.id);
        if (k == "duration") return r.integer(b.lease.duration);
        if (k == "expires") return r.integer(b.lease.expires_us);
        return false;
      });
    }
    if (key == "copy")
      return r.object([&](const std::string& k) {
        if (k == "id") return r.string(b.copy_id);
        if (k == "source") return r.string(b.copy_source);
        if (k == "status") return r.string(b.copy_status);
        if (k == "progress") return r.string(b.copy_progress);
        if (k == "done") return r.integer(b.copy_completion_us);
        return false;
      });
    return false;  // unknown member: let the general parser handle it
  });
  return ok && r.at_end();
}

// --- writing -------------------------------------------------------------------

namespace {

// A JSON string: quotes, backslashes and control characters escaped; every
// other byte as it is (UTF-8 passes through).
void put_string(std::string& out, std::string_view v) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (char ch : v) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  out += '"';
}

// Members are written in name order, as a JSON library's sorted map would.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ~ObjectWriter() { out_ += '}'; }
  ObjectWriter& str(std::string_view name, std::string_view v) {
    key(name);
    put_string(out_, v);
    return *this;
  }
  ObjectWriter& num(std::string_view name, int64_t v) {
    key(name);
    out_ += std::to_string(v);
    return *this;
  }
  std::string& nested(std::string_view name) {
    key(name);
    return out_;
  }

 private:
  void key(std::string_view name) {
    if (!first_) out_ += ',';
    first_ = false;
    put_string(out_, name);
    out_ += ':';
  }
  std::string& out_;
  bool first_ = true;
};

}  // namespace

std::string write_blob_doc(const BlobRecord& b) {
  std::string out;
  out.reserve(384);
  {  // each writer closes its object when its scope ends
    const auto& p = b.props;
    ObjectWriter o(out);
    o.num("appends", b.append_count).str("cc", p.cache_control).str("cd", p.content_disposition);
    if (!b.copy_destination_snapshot.empty()) o.str("cdst", b.copy_destination_snapshot);
    o.str("ce", p.content_encoding).str("cl", p.content_language);
    if (!b.copy_id.empty()) {
      ObjectWriter c(o.nested("copy"));
      c.num("done", b.copy_completion_us).str("id", b.copy_id).str("progress", b.copy_progress);
      c.str("source", b.copy_source).str("status", b.copy_status);
    }
    if (!b.customer_key_sha256.empty()) o.str("cpk", b.customer_key_sha256);
    o.str("ct", p.content_type).num("ctime", b.created_us);
    if (b.deleted_us) o.num("deleted", b.deleted_us);
    o.str("etag", b.etag);
    if (b.legal_hold) o.num("hold", 1);
    if (b.incremental_copy) o.num("incr", 1).str("isrc", b.incremental_source_snapshot);
    {
      ObjectWriter l(o.nested("lease"));
      l.num("duration", b.lease.duration).num("expires", b.lease.expires_us).str("id", b.lease.id);
      l.str("state", b.lease.state);
    }
    o.str("md5", p.content_md5);
    {
      ObjectWriter m(o.nested("meta"));
      for (const auto& [k, v] : b.metadata) m.str(k, v);
    }
    o.num("mtime", b.last_modified_us);
    if (!b.page_ranges.empty()) o.str("pages", b.page_ranges);
    if (b.deleted_us) o.num("retain", b.retention_days);
    if (!b.rehydrate_tier.empty()) {
      o.num("rhdone", b.rehydrate_done_us).str("rhprio", b.rehydrate_priority).str("rhtier", b.rehydrate_tier);
    }
    if (b.sealed) o.num("sealed", 1);
    if (b.sequence_number) o.num("seq", b.sequence_number);
    o.num("size", b.size);
    if (!b.tags.empty()) {
      ObjectWriter t(o.nested("tags"));
      for (const auto& [k, v] : b.tags) t.str(k, v);
    }
    if (b.tier_changed_us) o.num("tchg", b.tier_changed_us);
    o.str("tier", b.access_tier).str("type", b.blob_type);
    if (!b.version_id.empty()) o.str("vid", b.version_id);
    if (b.immutable_until_us) o.str("wormm", b.immutability_mode).num("wormu", b.immutable_until_us);
  }
  return out;
}

}  // namespace kiln::blob
