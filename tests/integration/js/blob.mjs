// @azure/storage-blob against Kiln's Blob service: the operations a JavaScript
// application uses most, each checked for its effect.
import crypto from "node:crypto";
import {
  BlobSASPermissions, BlobServiceClient, StorageSharedKeyCredential, generateBlobSASQueryParameters,
} from "@azure/storage-blob";
import { check, env, finish, step } from "./harness.mjs";

const MiB = 1024 * 1024;
const cred = new StorageSharedKeyCredential(env("KILN_ACCOUNT"), env("KILN_KEY"));
const svc = new BlobServiceClient(env("KILN_BLOB_URL"), cred, { retryOptions: { maxTries: 1 } });
const c = svc.getContainerClient("js-" + crypto.randomUUID().slice(0, 8));
const small = c.getBlockBlobClient("dir/small.txt");
const big = c.getBlockBlobClient("big.bin");
const data = crypto.randomBytes(9 * MiB + 7);

await step("create container with metadata", async () => {
  await c.create({ metadata: { owner: "js" } });
  check((await c.getProperties()).metadata.owner === "js", "container metadata");
});
await step("upload and download a small blob", async () => {
  await small.upload("hello", 5, { blobHTTPHeaders: { blobContentType: "text/plain" }, metadata: { k: "v" } });
  check((await small.downloadToBuffer()).toString() === "hello", "content");
  const p = await small.getProperties();
  check(p.contentType === "text/plain" && p.metadata.k === "v" && p.contentLength === 5, "properties");
});
await step("staged upload (blocks in parallel) and parallel ranged download", async () => {
  await big.uploadData(data, { blockSize: 2 * MiB, concurrency: 4, maxSingleShotSize: MiB });
  check((await big.getBlockList("committed")).committedBlocks.length === 5, "five committed blocks");
  const got = await big.downloadToBuffer(undefined, undefined, { blockSize: 2 * MiB, concurrency: 4 });
  check(got.equals(data), "downloaded bytes differ");
});
await step("tags, snapshot, lease", async () => {
  await small.setTags({ team: "kiln" });
  check((await small.getTags()).tags.team === "kiln", "tags");
  check((await small.createSnapshot()).snapshot, "snapshot");
  const lease = small.getBlobLeaseClient();
  await lease.acquireLease(15);
  let refused = false;
  try { await small.setMetadata({ x: "y" }); } catch (e) { refused = e.statusCode === 412 && e.code === "LeaseIdMissing"; }
  check(refused, "a write without the lease id must be refused with LeaseIdMissing");
  await lease.releaseLease();
});
await step("list blobs flat (paged) and by hierarchy", async () => {
  const names = [];
  for await (const page of c.listBlobsFlat({ includeSnapshots: true, includeMetadata: true }).byPage({ maxPageSize: 1 }))
    for (const b of page.segment.blobItems) names.push(b.name + (b.snapshot ? "@" : ""));
  check(JSON.stringify(names) === JSON.stringify(["big.bin", "dir/small.txt@", "dir/small.txt"]), names.join(","));
  const top = [];
  for await (const item of c.listBlobsByHierarchy("/")) top.push(`${item.kind}:${item.name}`);
  top.sort();  // the SDK yields each page's prefixes before its blobs
  check(JSON.stringify(top) === JSON.stringify(["blob:big.bin", "prefix:dir/"]), top.join(","));
});
await step("copy from URL (async and sync)", async () => {
  const poller = await c.getBlobClient("copy1").beginCopyFromURL(small.url);
  await poller.pollUntilDone();
  await c.getBlobClient("copy2").syncCopyFromURL(small.url);
  check((await c.getBlobClient("copy2").downloadToBuffer()).toString() === "hello", "copy content");
});
await step("append blob", async () => {
  const a = c.getAppendBlobClient("log");
  await a.create();
  await a.appendBlock("abc", 3);
  await a.appendBlock("def", 3);
  check((await a.downloadToBuffer()).toString() === "abcdef", "appended content");
});
await step("page blob: pages, ranges, clear, resize, sequence number", async () => {
  const p = c.getPageBlobClient("disk.vhd");
  await p.create(2 * MiB);
  await p.uploadPages(Buffer.alloc(1024, 7), 512, 1024);
  const r = await p.getPageRanges(0, 2 * MiB);
  // The SDK reports a range as {offset: Start, count: End - Start}: bytes 512-1535.
  check(r.pageRange.length === 1 && r.pageRange[0].offset === 512 && r.pageRange[0].count === 1023, JSON.stringify(r.pageRange));
  await p.clearPages(512, 512);
  await p.resize(4 * MiB);
  check((await p.updateSequenceNumber("update", 9)).blobSequenceNumber === 9, "sequence number");
  const b = await p.downloadToBuffer(0, 2048);
  check(b[1024] === 7 && b[600] === 0 && b[1600] === 0, "page content");
});
await step("page blob snapshot diff and incremental copy", async () => {
  const p = c.getPageBlobClient("disk.vhd");
  const snap = (await p.createSnapshot()).snapshot;
  await p.uploadPages(Buffer.alloc(512, 9), 3 * MiB, 512);
  const diff = await p.getPageRangesDiff(0, 4 * MiB, snap);
  check(diff.pageRange.length === 1 && diff.pageRange[0].offset === 3 * MiB, JSON.stringify(diff.pageRange));
  const backup = c.getPageBlobClient("backup.vhd");
  const r = await backup.startCopyIncremental(p.withSnapshot(snap).url);
  check(r.copyStatus === "success", r.copyStatus);
  const props = await backup.getProperties();
  check(props.isIncrementalCopy && props.destinationSnapshot, "incremental copy properties");
  const copied = await backup.withSnapshot(props.destinationSnapshot).downloadToBuffer(0, 2048);
  check(copied[1024] === 7, "copied pages");
});
await step("blob SAS read by plain HTTP", async () => {
  const sas = generateBlobSASQueryParameters({
    containerName: c.containerName, blobName: "dir/small.txt", permissions: BlobSASPermissions.parse("r"),
    expiresOn: new Date(Date.now() + 3600e3),
  }, cred).toString();
  const r = await fetch(`${small.url}?${sas}`);
  check(r.status === 200 && (await r.text()) === "hello", `status ${r.status}`);
});
await step("find blobs by tags", async () => {
  const found = [];
  for await (const b of svc.findBlobsByTags("team='kiln'")) found.push(b.name);
  check(found.includes("dir/small.txt"), found.join(","));
});
await step("blob batch delete", async () => {
  const res = await c.getBlobBatchClient().deleteBlobs([c.getBlobClient("copy1").url, c.getBlobClient("copy2").url], cred);
  check(res.subResponsesSucceededCount === 2, `succeeded ${res.subResponsesSucceededCount}`);
  check(!(await c.getBlobClient("copy1").exists()), "copy1 still exists");
});
await step("archive and rehydrate", async () => {
  const b = c.getBlockBlobClient("archived.txt");
  await b.upload("cold", 4, { tier: "Archive" });
  let code = "";
  try { await b.download(); } catch (e) { code = `${e.statusCode} ${e.code}`; }
  check(code === "409 BlobArchived", code);
  const r = await b.setAccessTier("Hot", { rehydratePriority: "High" });
  check(r._response.status === 202, `status ${r._response.status}`);
  const p = await b.getProperties();
  check(p.archiveStatus === "rehydrate-pending-to-hot" && p.rehydratePriority === "High", p.archiveStatus);
  for (let i = 0; i < 50 && (await b.getProperties()).archiveStatus; ++i) await new Promise((ok) => setTimeout(ok, 200));
  check((await b.downloadToBuffer()).toString() === "cold", "rehydrated content");
  check((await b.getProperties()).accessTier === "Hot", "tier after rehydration");
});
await step("query a CSV blob with SQL", async () => {
  const b = c.getBlockBlobClient("fruit.csv");
  await b.upload("name,qty\napple,10\npear,5\nfig,7\n", 34);
  const res = await b.query("SELECT name FROM BlobStorage WHERE qty > 6", {
    inputTextConfiguration: { kind: "csv", recordSeparator: "\n", hasHeaders: true },
    outputTextConfiguration: { kind: "json", recordSeparator: "\n" },
  });
  const chunks = [];
  for await (const chunk of res.readableStreamBody) chunks.push(chunk);
  const got = Buffer.concat(chunks).toString();
  check(got === '{"name":"apple"}\n{"name":"fig"}\n', JSON.stringify(got));
});
await step("errors carry Azure's codes", async () => {
  let code = "";
  try { await c.getBlobClient("missing").download(); } catch (e) { code = `${e.statusCode} ${e.code}`; }
  check(code === "404 BlobNotFound", code);
});
await step("service properties and account information", async () => {
  await svc.setProperties({ cors: [{ allowedOrigins: "*", allowedMethods: "GET", allowedHeaders: "*", exposedHeaders: "*", maxAgeInSeconds: 60 }] });
  check((await svc.getProperties()).cors.length === 1, "cors rule");
  await svc.setProperties({ cors: [] });
  check((await svc.getAccountInfo()).accountKind === "StorageV2", "account kind");
});
await step("delete container", async () => {
  await c.delete();
  check(!(await c.exists()), "container still exists");
});
finish();
