// @azure/storage-blob with an Azure AD credential against `kiln serve --tls
// --oauth`: bearer tokens, Get User Delegation Key and user delegation SAS as
// this SDK signs them (its newest signed version, with signed request headers).
import crypto from "node:crypto";
import { BlobSASPermissions, BlobServiceClient, generateBlobSASQueryParameters } from "@azure/storage-blob";
import { check, env, finish, step } from "./harness.mjs";

// Unsigned JWTs with the claims Azure AD puts in storage tokens (Kiln checks claims, not signatures).
const now = Math.floor(Date.now() / 1000);
const claims = { aud: "https://storage.azure.com", iss: "https://sts.windows.net/tenant-1/", oid: "object-1",
                 tid: "tenant-1", nbf: now - 60, exp: now + 3600 };
const b64url = (s) => Buffer.from(s).toString("base64url");
const jwt = [b64url('{"alg":"RS256","typ":"JWT"}'), b64url(JSON.stringify(claims)), b64url("unsigned")].join(".");
const credential = { getToken: async () => ({ token: jwt, expiresOnTimestamp: claims.exp * 1000 }) };

const svc = new BlobServiceClient(env("KILN_BLOB_URL"), credential, { retryOptions: { maxTries: 1 } });
const c = svc.getContainerClient("js-aad-" + crypto.randomUUID().slice(0, 8));
const hour = 3600e3;

await step("a bearer token creates, uploads and lists", async () => {
  await c.create();
  await c.getBlockBlobClient("b").upload("by token", 8);
  const names = [];
  for await (const b of c.listBlobsFlat()) names.push(b.name);
  check(names.join() === "b", names.join());
});
await step("a user delegation SAS reads, and only what it signs", async () => {
  const key = await svc.getUserDelegationKey(new Date(Date.now() - 300e3), new Date(Date.now() + hour));
  check(key.signedObjectId === "object-1" && key.signedTenantId === "tenant-1", "key fields");
  const url = `${c.url}/b`;
  const sas = (extra = {}) => generateBlobSASQueryParameters({
    containerName: c.containerName, blobName: "b", permissions: BlobSASPermissions.parse("r"),
    expiresOn: new Date(Date.now() + hour / 2), ...extra,
  }, key, "devstoreaccount1").toString();
  const plain = sas();
  check(plain.includes("sv=2026"), "expected the SDK's newest signed version: " + plain.split("&")[0]);
  let r = await fetch(`${url}?${plain}`);
  check(r.status === 200 && (await r.text()) === "by token", `read: ${r.status}`);
  r = await fetch(`${url}?${plain}`, { method: "PUT", body: "x", headers: { "x-ms-blob-type": "BlockBlob" } });
  check(r.status === 403 && r.headers.get("x-ms-error-code") === "AuthorizationPermissionMismatch", `write: ${r.status}`);
  // A SAS bound to a request header's value (srh) works only with that value.
  const bound = sas({ requestHeaders: { "x-kiln-probe": "yes" } });
  r = await fetch(`${url}?${bound}`, { headers: { "x-kiln-probe": "yes" } });
  check(r.status === 200, `bound, header sent: ${r.status}`);
  r = await fetch(`${url}?${bound}`, { headers: { "x-kiln-probe": "no" } });
  check(r.status === 403 && r.headers.get("x-ms-error-code") === "AuthenticationFailed", `bound, other value: ${r.status}`);
});
await step("delete container", () => c.delete());
finish();
