#include "word_count.h"

#include <gtest/gtest.h>

namespace kiln::examples {

TEST(WordCount, StripsPunctuationAndFoldsCase) {
  EXPECT_EQ(normalize_word("\"Hello,"), "hello");
  EXPECT_EQ(normalize_word("don't"), "don't");  // inner punctuation stays
  EXPECT_EQ(normalize_word("--"), "");
}

TEST(WordCount, RanksByCountThenAlphabetically) {
  auto top = top_words("The cat; the DOG. The dog!  bird\n\tcat -- zebra", 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0], (std::pair<std::string, int>{"the", 3}));
  EXPECT_EQ(top[1], (std::pair<std::string, int>{"cat", 2}));
  EXPECT_EQ(top[2], (std::pair<std::string, int>{"dog", 2}));
}

TEST(WordCount, FewerWordsThanAsked) {
  EXPECT_EQ(top_words("one", 5).size(), 1u);
  EXPECT_TRUE(top_words("  ... ", 5).empty());
}

}  // namespace kiln::examples
