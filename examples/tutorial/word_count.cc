#include "word_count.h"

#include <algorithm>
#include <cctype>
#include <unordered_map>

namespace kiln::examples {

std::string normalize_word(std::string_view token) {
  auto punct = [](char c) { return std::ispunct(static_cast<unsigned char>(c)) != 0; };
  while (!token.empty() && punct(token.front())) token.remove_prefix(1);
  while (!token.empty() && punct(token.back())) token.remove_suffix(1);
  std::string word(token);
  for (char& c : word) c = char(std::tolower(static_cast<unsigned char>(c)));
  return word;
}

std::vector<std::pair<std::string, int>> top_words(std::string_view text, size_t n) {
  std::unordered_map<std::string, int> counts;
  size_t i = 0;
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (i < text.size()) {
    while (i < text.size() && space(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !space(text[i])) ++i;
    if (i > start) {
      std::string word = normalize_word(text.substr(start, i - start));
      if (!word.empty()) ++counts[word];
    }
  }
  std::vector<std::pair<std::string, int>> ranked(counts.begin(), counts.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (ranked.size() > n) ranked.resize(n);
  return ranked;
}

}  // namespace kiln::examples
