#include "core/text.h"

#include <gtest/gtest.h>

namespace kiln::text {
namespace {

TEST(Text, FoldsAsciiLettersOnly) {
  EXPECT_EQ(lower("X-Ms-Meta-ÄB_1"), "x-ms-meta-Äb_1");  // the UTF-8 bytes of Ä stay as they are
  EXPECT_EQ(upper("select *, \xc3\xa4 from BlobStorage"), "SELECT *, \xc3\xa4 FROM BLOBSTORAGE");
  EXPECT_EQ(lower(""), "");
}

}  // namespace
}  // namespace kiln::text
