// Word counting for the tutorial's task program: the top N words of a text.
//
// Words are the whitespace-separated tokens of the text with leading and
// trailing ASCII punctuation stripped and ASCII letters lower-cased; tokens that
// are only punctuation are dropped. Ranking: by count, highest first; equal
// counts in alphabetical order, so the result is deterministic. The Python task
// program (examples/python/python_tutorial_task.py) and the tests apply the
// same rules.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::examples {

// A token normalised as above; empty if nothing is left.
std::string normalize_word(std::string_view token);

std::vector<std::pair<std::string, int>> top_words(std::string_view text, size_t n);

}  // namespace kiln::examples
