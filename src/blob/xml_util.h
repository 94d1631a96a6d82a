// Small XML writing helpers for the Blob API's response bodies. Responses are
// built as strings (fast, no DOM); requests are parsed with pugixml in xml_parse.h.
#pragma once

#include <string>
#include <string_view>

namespace kiln::blob {

// Escapes &, <, >, " and ' and replaces characters XML 1.0 cannot carry.
std::string xml_escape(std::string_view s);

// Appends elements to a string: w.open("A").elem("B", "v").close("A").
class XmlWriter {
 public:
  XmlWriter() { out_ = "<?xml version=\"1.0\" encoding=\"utf-8\"?>"; }
  XmlWriter& open(std::string_view name) {
    out_ += '<'; out_ += name; out_ += '>';
    return *this;
  }
  // <name attr="value">
  XmlWriter& open_attr(std::string_view name, std::string_view attr, std::string_view value) {
    out_ += '<'; out_ += name; out_ += ' '; out_ += attr; out_ += "=\""; out_ += xml_escape(value); out_ += "\">";
    return *this;
  }
  XmlWriter& close(std::string_view name) {
    out_ += "</"; out_ += name; out_ += '>';
    return *this;
  }
  XmlWriter& elem(std::string_view name, std::string_view text) {
    if (text.empty()) { out_ += '<'; out_ += name; out_ += " />"; return *this; }
    open(name); out_ += xml_escape(text); return close(name);
  }
  XmlWriter& raw(std::string_view xml) { out_ += xml; return *this; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace kiln::blob
