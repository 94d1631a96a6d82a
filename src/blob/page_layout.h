// A page blob's layout, as two plain values kept in its record:
//
// - where its bytes are: the blob is cut into chunks of kPageChunk bytes, each
//   an immutable data file or a hole (reads as zeros), kept as the record's
//   extent list (blob_files.h: a hole is an extent without a name; runs of
//   holes are one extent). A Put Page writes new files for the chunks it
//   touches and swaps them in with one metadata commit, so a reader holding
//   the old list reads the old bytes whole, never a mix;
// - which pages were written (PageRanges), what Get Page Ranges reports.
//
// Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::blob {

inline constexpr uint64_t kPageSize = 512;
inline constexpr uint64_t kPageChunk = 1 << 20;
inline constexpr uint64_t kMaxPageBlobSize = 8ull << 40;  // Azure's limit: 8 TiB
inline constexpr uint64_t kMaxPageWrite = 4ull << 20;     // one Put Page (update)

struct PageRange {
  uint64_t start = 0;
  uint64_t end = 0;  // exclusive
  bool operator==(const PageRange&) const = default;
};
// Sorted, disjoint; touching ranges are merged.
using PageRanges = std::vector<PageRange>;

void add_pages(PageRanges& ranges, uint64_t start, uint64_t end);
void remove_pages(PageRanges& ranges, uint64_t start, uint64_t end);
// The parts of `ranges` within [start, end).
PageRanges pages_within(const PageRanges& ranges, uint64_t start, uint64_t end);
// "start-end,start-end" (end exclusive); "" for none. parse throws std::invalid_argument.
std::string format_pages(const PageRanges& ranges);
PageRanges parse_pages(std::string_view text);

// The layout of a new page blob of `size` bytes: all holes ("" for size 0).
std::string empty_layout(uint64_t size);
// The span of chunk `index` in a blob of `size` bytes: [index * kPageChunk, min(next chunk, size)).
PageRange chunk_span(uint64_t index, uint64_t size);
// The file of chunk `index` ("" for a hole).
std::string chunk_file(const std::string& layout, uint64_t index);

struct ChunkFile {
  uint64_t index = 0;
  std::string file;  // "" makes the chunk a hole
};
// `layout` with the given chunks replaced; the files they replace are appended to `replaced`.
std::string replace_chunks(const std::string& layout, uint64_t size, const std::vector<ChunkFile>& chunks,
                           std::vector<std::string>& replaced);
// `layout` with the whole chunks in `span` made one hole; their files are appended to `dropped`.
std::string make_hole(const std::string& layout, PageRange span, std::vector<std::string>& dropped);
// `layout` cut or grown (with holes) to `new_size`. Files of chunks past the new
// end are appended to `dropped`. The chunk holding the smaller of the two ends,
// when that end is inside it and it has a file, keeps that file (bytes past
// the old end are not zeros there): the caller replaces it (resize_boundary_chunk).
std::string resize_layout(const std::string& layout, uint64_t new_size, std::vector<std::string>& dropped);
// The chunk a resize from `old_size` to `new_size` must rewrite (see resize_layout), if any.
bool resize_boundary_chunk(uint64_t old_size, uint64_t new_size, uint64_t& index);

// The byte spans where two layouts may hold different bytes: a chunk that is a
// file in one and a hole in the other, or files that `same_file` says differ
// (a snapshot's chunks are hard links of the blob's own, so same_file compares
// inodes). Spans past the shorter blob's end count as different.
std::vector<PageRange> differing_spans(const std::string& a, uint64_t a_size, const std::string& b, uint64_t b_size,
                                       const std::function<bool(const std::string&, const std::string&)>& same_file);

}  // namespace kiln::blob
