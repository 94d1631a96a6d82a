// @azure/storage-blob against a Kiln started with --blob-immutability (which
// turns versioning on): every overwrite keeps the version it replaces,
// withVersion() reads and deletes one; legal holds and retention policies keep one.
import crypto from "node:crypto";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { check, env, finish, step } from "./harness.mjs";

const cred = new StorageSharedKeyCredential(env("KILN_ACCOUNT"), env("KILN_KEY"));
const svc = new BlobServiceClient(env("KILN_BLOB_URL"), cred, { retryOptions: { maxTries: 1 } });
const c = svc.getContainerClient("js-" + crypto.randomUUID().slice(0, 8));
const b = c.getBlockBlobClient("doc.txt");
const read = async (client) => (await client.downloadToBuffer()).toString();
let v1 = "", v2 = "";

await step("uploads make versions", async () => {
  await c.create();
  v1 = (await b.upload("one", 3)).versionId;
  v2 = (await b.upload("two", 3)).versionId;
  check(v1 && v2 > v1, `${v1} ${v2}`);
  check((await read(b.withVersion(v1))) === "one", "first version");
  check((await read(b)) === "two", "current version");
  const p = await b.getProperties();
  check(p.versionId === v2 && p.isCurrentVersion === true, JSON.stringify([p.versionId, p.isCurrentVersion]));
});
await step("list versions", async () => {
  const seen = [];
  for await (const item of c.listBlobsFlat({ includeVersions: true })) seen.push([item.versionId, !!item.isCurrentVersion]);
  check(JSON.stringify(seen) === JSON.stringify([[v1, false], [v2, true]]), JSON.stringify(seen));
});
await step("delete, then restore a version by copying it", async () => {
  await b.delete();
  check(!(await b.exists()), "deleted blob still exists");
  await b.syncCopyFromURL(b.withVersion(v1).url);
  check((await read(b)) === "one", "restored content");
  await b.withVersion(v1).delete();
  let code = "";
  try { await b.withVersion(v1).download(); } catch (e) { code = `${e.statusCode} ${e.code}`; }
  check(code === "404 BlobNotFound", code);
});
await step("legal hold and retention policy", async () => {
  const held = c.getBlockBlobClient("held.txt");
  await held.upload("kept", 4, { legalHold: true });
  let code = "";
  try { await held.delete(); } catch (e) { code = `${e.statusCode} ${e.code}`; }
  check(code === "409 BlobImmutableDueToLegalHold", code);
  check((await held.setLegalHold(false)).legalHold === false, "hold released");
  const until = new Date(Date.now() + 3600 * 1000);
  const r = await held.setImmutabilityPolicy({ expiriesOn: until, policyMode: "Unlocked" });
  check(r.immutabilityPolicyMode === "unlocked", `mode ${r.immutabilityPolicyMode}`);
  const p = await held.getProperties();
  check(Math.abs(p.immutabilityPolicyExpiresOn.getTime() - until.getTime()) < 2000, String(p.immutabilityPolicyExpiresOn));
  code = "";
  try { await held.setMetadata({ k: "v" }); } catch (e) { code = `${e.statusCode} ${e.code}`; }
  check(code === "409 BlobImmutableDueToPolicy", code);
  await held.deleteImmutabilityPolicy();
  await held.delete();
});
finish();
