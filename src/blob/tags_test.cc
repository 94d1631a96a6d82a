#include "blob/tags.h"

#include <gtest/gtest.h>

#include "blob/error_code_testing.h"

namespace kiln::blob {
namespace {

TEST(Tags, HeaderIsQueryStringEncoded) {
  http::Headers h;
  h.set("x-ms-tags", "project=kiln&path=a%2Fb%3Ac&spaced=x+y&empty=");
  EXPECT_EQ(request_tags(h), (BlobTags{{"project", "kiln"}, {"path", "a/b:c"}, {"spaced", "x y"}, {"empty", ""}}));
  h.set("x-ms-tags", "");
  EXPECT_TRUE(request_tags(h).empty());  // the SDK sends an empty header for no tags
  EXPECT_TRUE(request_tags(http::Headers{}).empty());
}

TEST(Tags, RulesGiveAzuresCodes) {
  BlobTags eleven;
  for (int i = 0; i < 11; ++i) eleven["k" + std::to_string(i)] = "v";
  EXPECT_EQ(error_code_of([&] { check_tags(eleven); }), "TagsTooLarge");
  EXPECT_EQ(error_code_of([&] { check_tags({{std::string(129, 'k'), ""}}); }), "TagsTooLarge");
  EXPECT_EQ(error_code_of([&] { check_tags({{"k", std::string(257, 'v')}}); }), "TagsTooLarge");
  EXPECT_EQ(error_code_of([&] { check_tags({{"", "v"}}); }), "EmptyTagName");
  EXPECT_EQ(error_code_of([&] { check_tags({{"bad!", "v"}}); }), "InvalidTag");
  EXPECT_EQ(error_code_of([&] { check_tags({{"k", "caf\xc3\xa9"}}); }), "InvalidTag");
  EXPECT_EQ(error_code_of([&] { check_tags({{std::string(128, 'k'), std::string(256, 'v')}, {"a+-./:=_ Z9", ""}}); }), "");
  http::Headers h;
  h.set("x-ms-tags", "a=1&a=2");
  EXPECT_EQ(error_code_of([&] { request_tags(h); }), "DuplicateTagNames");
}

TEST(Tags, XmlRoundTripsAndBadDocumentsAreRefused) {
  BlobTags tags{{"b", "2"}, {"a", "x y/z:=+_."}};
  EXPECT_EQ(parse_tags_xml(tags_xml(tags)), tags);
  EXPECT_TRUE(parse_tags_xml("<Tags><TagSet/></Tags>").empty());
  EXPECT_EQ(error_code_of([] { parse_tags_xml("<Tags><TagSet><Tag><Key>a</Key>"); }), "InvalidXmlDocument");
  EXPECT_EQ(error_code_of([] { parse_tags_xml("<Other/>"); }), "InvalidXmlDocument");
  EXPECT_EQ(error_code_of([] {
              parse_tags_xml("<Tags><TagSet><Tag><Key>a</Key><Value>1</Value></Tag>"
                             "<Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tags>");
            }),
            "DuplicateTagNames");
}

TEST(TagExpression, FindDialectMatchesConjunctionsAndContainers) {
  auto e = TagExpression::parse("\"Project\" = 'kiln' AND rank >= '10' and @container='c1'",
                                TagExpression::Dialect::kFind);
  EXPECT_EQ(e.keys(), (std::set<std::string>{"Project", "rank"}));
  EXPECT_TRUE(e.names_container());
  EXPECT_TRUE(e.matches("c1", {{"Project", "kiln"}, {"rank", "20"}}));
  EXPECT_FALSE(e.matches("c2", {{"Project", "kiln"}, {"rank", "20"}}));
  EXPECT_FALSE(e.matches("c1", {{"Project", "kiln"}, {"rank", "09"}}));  // lexicographic
  EXPECT_FALSE(e.matches("c1", {{"project", "kiln"}, {"rank", "20"}}));  // keys are case-sensitive
  EXPECT_FALSE(e.matches("c1", {{"Project", "kiln"}}));                  // a missing tag never matches
  auto lt = TagExpression::parse("\"a\" < 'm' AND \"a\" > 'c'", TagExpression::Dialect::kFind);
  EXPECT_TRUE(lt.matches("", {{"a", "d"}}));
  EXPECT_FALSE(lt.matches("", {{"a", "m"}}));
}

TEST(TagExpression, BadExpressionsAreRefusedWithTheDialectsError) {
  for (const char* bad : {"", "a = 'x' OR b = 'y'", "a <> 'x'", "a = x", "a = 'x", "= 'x'", "a 'x'",
                          "a = 'x' AND", "(a = 'x')", "@container > 'c'", "@blob = 'c'", "a = 'x' b = 'y'"}) {
    EXPECT_EQ(error_code_of([&] { TagExpression::parse(bad, TagExpression::Dialect::kFind); }), "InvalidQueryParameterValue")
        << bad;
  }
  EXPECT_EQ(error_code_of([] { TagExpression::parse("a = 'x' OR", TagExpression::Dialect::kCondition); }),
            "InvalidHeaderValue");
  EXPECT_EQ(error_code_of([] { TagExpression::parse("@container = 'c'", TagExpression::Dialect::kCondition); }),
            "InvalidHeaderValue");
}

TEST(TagExpression, ConditionDialectHasOrNotEqualAndParentheses) {
  auto e = TagExpression::parse("(a = '1' OR a = '2') AND b <> 'x'", TagExpression::Dialect::kCondition);
  EXPECT_TRUE(e.matches("", {{"a", "2"}, {"b", "y"}}));
  EXPECT_FALSE(e.matches("", {{"a", "2"}, {"b", "x"}}));
  EXPECT_FALSE(e.matches("", {{"a", "3"}, {"b", "y"}}));
  http::Headers h;
  h.set("x-ms-if-tags", "\"a\" = '1'");
  EXPECT_EQ(error_code_of([&] { check_if_tags(h, {{"a", "1"}}); }), "");
  EXPECT_EQ(error_code_of([&] { check_if_tags(h, {{"a", "2"}}); }), "ConditionNotMet");
  EXPECT_EQ(error_code_of([&] { check_if_tags(http::Headers{}, {}); }), "");
}

}  // namespace
}  // namespace kiln::blob
