#include "core/shared_key.h"

#include <gtest/gtest.h>

namespace kiln::shared_key {

TEST(SharedKey, BlobStringToSign) {
  http::Headers h;
  h.set("x-ms-date", "Fri, 26 Jun 2015 23:39:12 GMT");
  h.set("x-ms-version", "2015-02-21");
  h.set("Content-Length", "0");
  SignedRequest r{"GET", "/myaccount/mycontainer", {{"restype", "container"}, {"comp", "list"}}, &h};
  EXPECT_EQ(string_to_sign(Service::kBlob, r, "myaccount"),
            "GET\n\n\n\n\n\n\n\n\n\n\n\n"
            "x-ms-date:Fri, 26 Jun 2015 23:39:12 GMT\nx-ms-version:2015-02-21\n"
            "/myaccount/myaccount/mycontainer\ncomp:list\nrestype:container");
}

TEST(SharedKey, BatchSignsContentLengthAndOcpHeaders) {
  http::Headers h;
  h.set("ocp-date", "Fri, 26 Jun 2015 23:39:12 GMT");
  h.set("Content-Length", "0");
  h.set("Content-Type", "application/json; odata=minimalmetadata");
  SignedRequest r{"POST", "/pools", {{"api-version", "2022-10-01.16.0"}, {"timeout", ""}}, &h};
  EXPECT_EQ(string_to_sign(Service::kBatch, r, "acct"),
            "POST\n\n\n0\n\napplication/json; odata=minimalmetadata\n\n\n\n\n\n\n"
            "ocp-date:Fri, 26 Jun 2015 23:39:12 GMT\n/acct/pools\napi-version:2022-10-01.16.0");
}

TEST(SharedKey, ParsesAuthorizationHeader) {
  Authorization a;
  ASSERT_TRUE(parse_authorization("SharedKey devstoreaccount1:abc=", a));
  EXPECT_EQ(a.account, "devstoreaccount1");
  EXPECT_EQ(a.signature, "abc=");
  EXPECT_FALSE(parse_authorization("Bearer token", a));
  EXPECT_FALSE(parse_authorization("SharedKey nocolon", a));
}

}  // namespace kiln::shared_key
