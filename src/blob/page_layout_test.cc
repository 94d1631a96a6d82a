#include "blob/page_layout.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace kiln::blob {
namespace {

constexpr uint64_t C = kPageChunk;

TEST(PageRanges, AddMergesOverlappingAndTouchingRanges) {
  PageRanges r;
  add_pages(r, 1024, 2048);
  add_pages(r, 0, 512);
  EXPECT_EQ(r, (PageRanges{{0, 512}, {1024, 2048}}));
  add_pages(r, 512, 1024);  // touches both neighbours
  EXPECT_EQ(r, (PageRanges{{0, 2048}}));
  add_pages(r, 4096, 8192);
  add_pages(r, 1536, 5120);
  EXPECT_EQ(r, (PageRanges{{0, 8192}}));
}

TEST(PageRanges, RemoveSplitsRanges) {
  PageRanges r{{0, 4096}};
  remove_pages(r, 1024, 2048);
  EXPECT_EQ(r, (PageRanges{{0, 1024}, {2048, 4096}}));
  remove_pages(r, 0, 1024);
  EXPECT_EQ(r, (PageRanges{{2048, 4096}}));
  remove_pages(r, 0, 100000);
  EXPECT_TRUE(r.empty());
}

TEST(PageRanges, WithinClipsToTheWindow) {
  PageRanges r{{0, 1024}, {2048, 4096}};
  EXPECT_EQ(pages_within(r, 512, 3072), (PageRanges{{512, 1024}, {2048, 3072}}));
  EXPECT_TRUE(pages_within(r, 1024, 2048).empty());
}

TEST(PageRanges, FormatAndParseRoundTrip) {
  PageRanges r{{0, 512}, {1024, 1536}};
  EXPECT_EQ(format_pages(r), "0-512,1024-1536");
  EXPECT_EQ(parse_pages(format_pages(r)), r);
  EXPECT_TRUE(parse_pages("").empty());
  EXPECT_THROW(parse_pages("5-1"), std::invalid_argument);
  EXPECT_THROW(parse_pages("0-512,256-1024"), std::invalid_argument);  // overlapping
  EXPECT_THROW(parse_pages("x"), std::invalid_argument);
}

TEST(PageLayout, NewBlobIsOneHole) {
  EXPECT_EQ(empty_layout(0), "");
  EXPECT_EQ(empty_layout(3 * C), "+:" + std::to_string(3 * C));
  EXPECT_EQ(chunk_file(empty_layout(3 * C), 1), "");
}

TEST(PageLayout, ReplacingChunksSplitsHolesAndReportsReplacedFiles) {
  uint64_t size = 3 * C + 512;  // the last chunk is short
  std::vector<std::string> replaced;
  std::string l = replace_chunks(empty_layout(size), size, {{1, "b"}}, replaced);
  EXPECT_EQ(l, "+:" + std::to_string(C) + ",b:" + std::to_string(C) + ",:" + std::to_string(C + 512));
  EXPECT_TRUE(replaced.empty());
  l = replace_chunks(l, size, {{3, "d"}, {1, "b2"}}, replaced);
  EXPECT_EQ(replaced, std::vector<std::string>{"b"});
  EXPECT_EQ(chunk_file(l, 1), "b2");
  EXPECT_EQ(chunk_file(l, 3), "d");
  EXPECT_EQ(chunk_file(l, 2), "");
  // The short last chunk is only as long as the blob.
  EXPECT_NE(l.find("d:512"), std::string::npos) << l;
  // Making a chunk a hole again merges it with its neighbour holes.
  replaced.clear();
  l = replace_chunks(l, size, {{1, ""}}, replaced);
  EXPECT_EQ(l, "+:" + std::to_string(3 * C) + ",d:512");
  EXPECT_EQ(replaced, std::vector<std::string>{"b2"});
}

TEST(PageLayout, MakeHoleDropsWholeChunks) {
  uint64_t size = 4 * C;
  std::vector<std::string> dropped;
  std::string l = replace_chunks(empty_layout(size), size, {{0, "a"}, {1, "b"}, {2, "c"}}, dropped);
  l = make_hole(l, {C, 3 * C}, dropped);
  EXPECT_EQ(dropped, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(l, "+a:" + std::to_string(C) + ",:" + std::to_string(3 * C));
  // A span that is not made of whole chunks is a caller's bug.
  EXPECT_THROW(make_hole(l, {512, 1024}, dropped), std::logic_error);
}

TEST(PageLayout, ResizeCutsAndGrowsWithHoles) {
  uint64_t size = 3 * C;
  std::vector<std::string> dropped;
  std::string l = replace_chunks(empty_layout(size), size, {{0, "a"}, {1, "b"}, {2, "c"}}, dropped);
  std::string shrunk = resize_layout(l, C + 512, dropped);
  EXPECT_EQ(dropped, std::vector<std::string>{"c"});
  EXPECT_EQ(shrunk, "+a:" + std::to_string(C) + ",b:512");  // b is the boundary chunk
  dropped.clear();
  std::string grown = resize_layout(shrunk, 4 * C, dropped);
  EXPECT_TRUE(dropped.empty());
  EXPECT_EQ(grown, "+a:" + std::to_string(C) + ",b:512,:" + std::to_string(3 * C - 512));
  uint64_t k = 0;
  ASSERT_TRUE(resize_boundary_chunk(C + 512, 4 * C, k));
  EXPECT_EQ(k, 1u);
  // The boundary chunk, rewritten by the caller, takes its whole span again.
  grown = replace_chunks(grown, 4 * C, {{1, "b2"}}, dropped);
  EXPECT_EQ(dropped, std::vector<std::string>{"b"});
  EXPECT_EQ(grown, "+a:" + std::to_string(C) + ",b2:" + std::to_string(C) + ",:" + std::to_string(2 * C));
  EXPECT_FALSE(resize_boundary_chunk(C, 3 * C, k));  // ends on a chunk boundary
  EXPECT_FALSE(resize_boundary_chunk(512, 512, k));
  EXPECT_EQ(resize_layout("", 1024, dropped), "+:1024");
  EXPECT_EQ(resize_layout("+:1024", 0, dropped), "");
}

TEST(PageLayout, DifferingSpansCompareChunksAndSizes) {
  uint64_t size = 3 * C;
  std::vector<std::string> d;
  std::string old_l = replace_chunks(empty_layout(size), size, {{0, "a"}, {1, "b"}}, d);
  std::string new_l = replace_chunks(empty_layout(size), size, {{0, "a-link"}, {1, "x"}, {2, "y"}}, d);
  auto same = [](const std::string& p, const std::string& q) { return p.substr(0, 1) == q.substr(0, 1); };
  auto spans = differing_spans(old_l, size, new_l, size, same);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0], (PageRange{C, 3 * C}));  // b -> x and hole -> y, merged
  // Growth past the older blob's end counts as changed.
  spans = differing_spans(old_l, size, resize_layout(old_l, 4 * C, d), 4 * C, same);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0], (PageRange{3 * C, 4 * C}));
  EXPECT_TRUE(differing_spans(old_l, size, old_l, size, same).empty());
}

}  // namespace
}  // namespace kiln::blob
