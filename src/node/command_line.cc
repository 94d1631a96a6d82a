#include "node/command_line.h"

namespace kiln::node {
namespace {

// Characters with no meaning to the shell in an unquoted word (no quoting,
// expansion, globbing, redirection, comments, assignments or separators).
bool is_plain(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
         c == '.' || c == '-' || c == '_' || c == '+' || c == ',' || c == ':' || c == '@' ||
         c == '%';
}

}  // namespace

std::optional<std::vector<std::string>> split_plain_command(std::string_view command_line) {
  std::vector<std::string> words;
  std::string word;
  for (char c : command_line) {
    if (c == ' ' || c == '\t') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else if (is_plain(c) || (c == '=' && !words.empty())) {
      word += c;
    } else {
      return std::nullopt;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  if (words.empty() || words[0].find('/') == std::string::npos) return std::nullopt;
  return words;
}

std::vector<std::string> shell_argv(const std::string& command_line) {
  return {"/bin/sh", "-c", command_line};
}

}  // namespace kiln::node
