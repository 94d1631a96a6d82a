#include "blob/xml_parse.h"

#include <gtest/gtest.h>

#include "blob/errors.h"

namespace kiln::blob {
namespace {

std::string code_of_block_list(const std::string& xml) {
  try {
    parse_block_list(xml);
  } catch (const AzureError& e) {
    return e.code;
  }
  return "";
}

TEST(XmlParse, BlockList) {
  auto l = parse_block_list(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>AAA=</Latest><Committed>BBB=</Committed>"
      "<Uncommitted>CCC=</Uncommitted></BlockList>");
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].kind, BlockListKind::kLatest);
  EXPECT_EQ(l[1].id, "BBB=");
  EXPECT_EQ(l[2].kind, BlockListKind::kUncommitted);
  EXPECT_EQ(code_of_block_list("<BlockList><Latest>x</Latest>"), "InvalidXmlDocument");
  EXPECT_EQ(code_of_block_list("<Other/>"), "InvalidXmlDocument");
  EXPECT_EQ(code_of_block_list("<BlockList><Bogus>x</Bogus></BlockList>"), "InvalidXmlDocument");
  EXPECT_EQ(code_of_block_list(""), "InvalidXmlDocument");
}

TEST(XmlParse, SignedIdentifiers) {
  auto p = parse_signed_identifiers(
      "<SignedIdentifiers><SignedIdentifier><Id>p1</Id><AccessPolicy><Start>2020-01-01T00:00:00Z</Start>"
      "<Expiry>2030-01-01T00:00:00Z</Expiry><Permission>rl</Permission></AccessPolicy></SignedIdentifier>"
      "</SignedIdentifiers>");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].id, "p1");
  EXPECT_EQ(p[0].permission, "rl");
  EXPECT_TRUE(parse_signed_identifiers("").empty());
  std::string six = "<SignedIdentifiers>";
  for (int i = 0; i < 6; ++i) six += "<SignedIdentifier><Id>i" + std::to_string(i) + "</Id></SignedIdentifier>";
  six += "</SignedIdentifiers>";
  EXPECT_THROW(parse_signed_identifiers(six), AzureError);
}

TEST(XmlParse, ServicePropertiesMergeAndCors) {
  auto p = parse_service_properties(
      "<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>http://a.com</AllowedOrigins>"
      "<AllowedMethods>GET,PUT</AllowedMethods><AllowedHeaders>x-ms-*</AllowedHeaders>"
      "<ExposedHeaders>*</ExposedHeaders><MaxAgeInSeconds>60</MaxAgeInSeconds></CorsRule></Cors>"
      "</StorageServiceProperties>");
  auto rules = cors_rules(p);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].max_age, 60);
  auto q = parse_service_properties(
      "<StorageServiceProperties><StaticWebsite><Enabled>true</Enabled><IndexDocument>i.html</IndexDocument>"
      "</StaticWebsite></StorageServiceProperties>");
  auto merged = merge_service_properties(p, q);
  EXPECT_FALSE(merged.cors.empty());
  EXPECT_NE(serialize_service_properties(merged).find("i.html"), std::string::npos);
  auto round = parse_service_properties(serialize_service_properties(merged));
  EXPECT_EQ(cors_rules(round).size(), 1u);
  EXPECT_THROW(parse_service_properties("<StorageServiceProperties><Nope/></StorageServiceProperties>"), AzureError);
  EXPECT_THROW(parse_service_properties(
                   "<StorageServiceProperties><HourMetrics><Enabled>maybe</Enabled></HourMetrics>"
                   "</StorageServiceProperties>"),
               AzureError);
}

}  // namespace
}  // namespace kiln::blob
