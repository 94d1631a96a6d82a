#include "blob/page_layout.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "blob/blob_files.h"

namespace kiln::blob {

// --- page ranges -----------------------------------------------------------------

void add_pages(PageRanges& ranges, uint64_t start, uint64_t end) {
  if (start >= end) return;
  PageRanges out;
  out.reserve(ranges.size() + 1);
  PageRange added{start, end};
  bool placed = false;
  for (const auto& r : ranges) {
    if (r.end < added.start) {
      out.push_back(r);
    } else if (added.end < r.start) {
      if (!placed) out.push_back(added), placed = true;
      out.push_back(r);
    } else {  // overlapping or touching: absorb
      added.start = std::min(added.start, r.start);
      added.end = std::max(added.end, r.end);
    }
  }
  if (!placed) out.push_back(added);
  ranges = std::move(out);
}

void remove_pages(PageRanges& ranges, uint64_t start, uint64_t end) {
  if (start >= end) return;
  PageRanges out;
  out.reserve(ranges.size() + 1);
  for (const auto& r : ranges) {
    if (r.end <= start || r.start >= end) {
      out.push_back(r);
      continue;
    }
    if (r.start < start) out.push_back({r.start, start});
    if (r.end > end) out.push_back({end, r.end});
  }
  ranges = std::move(out);
}

PageRanges pages_within(const PageRanges& ranges, uint64_t start, uint64_t end) {
  PageRanges out;
  for (const auto& r : ranges) {
    uint64_t s = std::max(r.start, start), e = std::min(r.end, end);
    if (s < e) out.push_back({s, e});
  }
  return out;
}

std::string format_pages(const PageRanges& ranges) {
  std::string out;
  for (const auto& r : ranges) {
    if (!out.empty()) out += ',';
    out += std::to_string(r.start) + "-" + std::to_string(r.end);
  }
  return out;
}

PageRanges parse_pages(std::string_view text) {
  PageRanges out;
  auto number = [](std::string_view s) {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) throw std::invalid_argument("bad page ranges");
    return v;
  };
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    size_t dash = item.find('-');
    if (dash == std::string_view::npos) throw std::invalid_argument("bad page ranges");
    PageRange r{number(item.substr(0, dash)), number(item.substr(dash + 1))};
    if (r.start >= r.end || (!out.empty() && out.back().end >= r.start)) throw std::invalid_argument("bad page ranges");
    out.push_back(r);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return out;
}

// --- chunks ------------------------------------------------------------------------

namespace {

struct Run {
  uint64_t start = 0;
  uint64_t length = 0;
  std::string file;  // "" = hole
  uint64_t end() const { return start + length; }
};

std::vector<Run> runs_of(const std::string& layout) {
  std::vector<Run> runs;
  uint64_t at = 0;
  for (auto& e : BlobFiles::extents_of(layout)) {
    runs.push_back({at, e.length, std::move(e.name)});
    at += e.length;
  }
  return runs;
}

// Runs back into an extent list, neighbouring holes merged.
std::string layout_of(std::vector<Run> runs) {
  std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.start < b.start; });
  std::vector<BlobFiles::Extent> extents;
  for (auto& r : runs) {
    if (r.length == 0) continue;
    if (r.file.empty() && !extents.empty() && extents.back().name.empty()) {
      extents.back().length += r.length;
    } else {
      extents.push_back({std::move(r.file), r.length});
    }
  }
  return extents.empty() ? "" : BlobFiles::extent_list(extents);
}

uint64_t size_of(const std::vector<Run>& runs) { return runs.empty() ? 0 : runs.back().end(); }

// Removes [start, end) from `runs`: holes are cut, files (whole chunks) dropped into `dropped`.
void cut(std::vector<Run>& runs, uint64_t start, uint64_t end, std::vector<std::string>& dropped) {
  std::vector<Run> out;
  for (auto& r : runs) {
    if (r.end() <= start || r.start >= end) {
      out.push_back(std::move(r));
    } else if (!r.file.empty()) {
      if (r.start < start || r.end() > end) throw std::logic_error("page chunk not aligned");
      dropped.push_back(std::move(r.file));
    } else {
      if (r.start < start) out.push_back({r.start, start - r.start, ""});
      if (r.end() > end) out.push_back({end, r.end() - end, ""});
    }
  }
  runs = std::move(out);
}

}  // namespace

std::string empty_layout(uint64_t size) { return size == 0 ? "" : BlobFiles::extent_list({{"", size}}); }

PageRange chunk_span(uint64_t index, uint64_t size) {
  uint64_t start = index * kPageChunk;
  return {start, std::min(start + kPageChunk, size)};
}

std::string chunk_file(const std::string& layout, uint64_t index) {
  uint64_t at = index * kPageChunk;
  for (const auto& r : runs_of(layout))
    if (r.start <= at && at < r.end()) return r.file;
  return "";
}

std::string replace_chunks(const std::string& layout, uint64_t size, const std::vector<ChunkFile>& chunks,
                           std::vector<std::string>& replaced) {
  std::vector<Run> runs = runs_of(layout);
  for (const auto& c : chunks) {
    PageRange span = chunk_span(c.index, size);
    if (span.start >= span.end) throw std::logic_error("page chunk past the blob's end");
    cut(runs, span.start, span.end, replaced);
    runs.push_back({span.start, span.end - span.start, c.file});
  }
  return layout_of(std::move(runs));
}

std::string make_hole(const std::string& layout, PageRange span, std::vector<std::string>& dropped) {
  std::vector<Run> runs = runs_of(layout);
  cut(runs, span.start, span.end, dropped);
  runs.push_back({span.start, span.end - span.start, ""});
  return layout_of(std::move(runs));
}

std::string resize_layout(const std::string& layout, uint64_t new_size, std::vector<std::string>& dropped) {
  std::vector<Run> runs = runs_of(layout);
  uint64_t old_size = size_of(runs);
  std::vector<Run> out;
  for (auto& r : runs) {
    if (r.start >= new_size) {
      if (!r.file.empty()) dropped.push_back(std::move(r.file));
      continue;
    }
    r.length = std::min(r.length, new_size - r.start);
    out.push_back(std::move(r));
  }
  if (new_size > old_size) out.push_back({old_size, new_size - old_size, ""});
  return layout_of(std::move(out));
}

bool resize_boundary_chunk(uint64_t old_size, uint64_t new_size, uint64_t& index) {
  uint64_t end = std::min(old_size, new_size);
  if (old_size == new_size || end % kPageChunk == 0) return false;
  index = end / kPageChunk;
  return true;
}

std::vector<PageRange> differing_spans(const std::string& a, uint64_t a_size, const std::string& b, uint64_t b_size,
                                       const std::function<bool(const std::string&, const std::string&)>& same_file) {
  std::vector<Run> ra = runs_of(a), rb = runs_of(b);
  std::vector<PageRange> out;
  auto differ = [&](uint64_t s, uint64_t e) {
    if (s >= e) return;
    if (!out.empty() && out.back().end == s) {
      out.back().end = e;
    } else {
      out.push_back({s, e});
    }
  };
  uint64_t common = std::min(a_size, b_size);
  size_t i = 0, j = 0;
  uint64_t at = 0;
  while (at < common && i < ra.size() && j < rb.size()) {
    if (ra[i].end() <= at) {
      ++i;
      continue;
    }
    if (rb[j].end() <= at) {
      ++j;
      continue;
    }
    uint64_t next = std::min({ra[i].end(), rb[j].end(), common});
    const std::string &fa = ra[i].file, &fb = rb[j].file;
    bool same = fa.empty() && fb.empty();
    if (!fa.empty() && !fb.empty()) same = same_file(fa, fb);
    if (!same) differ(at, next);
    at = next;
  }
  differ(common, std::max(a_size, b_size));
  return out;
}

}  // namespace kiln::blob
