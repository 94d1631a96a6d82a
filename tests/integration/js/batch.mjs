// @azure/batch against Kiln's Batch service: a pool whose start task runs on
// every node, a job, tasks (one by one and as a collection), their output
// files and counts, and clean-up.
import crypto from "node:crypto";
import batch from "@azure/batch";
import { check, env, finish, step } from "./harness.mjs";

const { BatchServiceClient, BatchSharedKeyCredentials } = batch;
const client = new BatchServiceClient(new BatchSharedKeyCredentials(env("KILN_ACCOUNT"), env("KILN_KEY")),
                                      env("KILN_BATCH_URL"));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const suffix = crypto.randomUUID().slice(0, 8);
const pool = `js-pool-${suffix}`, job = `js-job-${suffix}`;

async function until(what, fn) {
  for (let i = 0; i < 300; i++) {
    const v = await fn();
    if (v) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

await step("supported images", async () => {
  check((await client.account.listSupportedImages()).length > 0, "no images");
});
await step("pool with a start task; its nodes become idle", async () => {
  await client.pool.add({
    id: pool, vmSize: "standard_d2s_v3", targetDedicatedNodes: 2,
    virtualMachineConfiguration: {
      imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts", version: "latest" },
      nodeAgentSKUId: "batch.node.ubuntu 22.04",
    },
    startTask: { commandLine: "/bin/sh -c 'echo ready > $AZ_BATCH_NODE_SHARED_DIR/ready'", waitForSuccess: true },
  });
  check((await client.pool.get(pool)).vmSize === "standard_d2s_v3", "vm size");
  await until("idle nodes", async () => {
    const nodes = await client.computeNode.list(pool);
    return nodes.length === 2 && nodes.every((n) => n.state === "idle");
  });
});
await step("job and tasks run to completion", async () => {
  await client.job.add({ id: job, poolInfo: { poolId: pool } });
  await client.task.add(job, { id: "hello", commandLine: "/bin/sh -c 'cat $AZ_BATCH_NODE_SHARED_DIR/ready; echo hello js'" });
  const added = await client.task.addCollection(job, [{ id: "ok", commandLine: "/bin/true" }, { id: "fails", commandLine: "/bin/false" }]);
  check(added.value.every((r) => r.status === "success"), "collection");
  const tasks = await until("completed tasks", async () => {
    const ts = await client.task.list(job);
    return ts.length === 3 && ts.every((t) => t.state === "completed") && ts;
  });
  const exits = Object.fromEntries(tasks.map((t) => [t.id, t.executionInfo.exitCode]));
  check(exits.hello === 0 && exits.ok === 0 && exits.fails === 1, JSON.stringify(exits));
});
await step("task output file and file list", async () => {
  const r = await client.file.getFromTask(job, "hello", "stdout.txt");
  const chunks = [];
  for await (const part of r.readableStreamBody) chunks.push(part);
  check(Buffer.concat(chunks).toString() === "ready\nhello js\n", JSON.stringify(Buffer.concat(chunks).toString()));
  const names = (await client.file.listFromTask(job, "hello")).map((f) => f.name);
  check(names.includes("stdout.txt") && names.includes("stderr.txt"), names.join(","));
});
await step("task counts and an OData filter", async () => {
  const counts = await client.job.getTaskCounts(job);
  const c = counts.taskCounts ?? counts;
  check(c.completed === 3 && c.succeeded === 2 && c.failed === 1, JSON.stringify(c));
  const jobs = await client.job.list({ jobListOptions: { filter: `id eq '${job}'` } });
  check(jobs.length === 1, `jobs ${jobs.length}`);
});
await step("errors carry Azure's codes", async () => {
  let code = "";
  try { await client.pool.get(`missing-${suffix}`); } catch (e) { code = `${e.statusCode} ${e.code}`; }
  check(code === "404 PoolNotFound", code);
});
await step("delete job and pool", async () => {
  await client.job.deleteMethod(job);
  await client.pool.deleteMethod(pool);
});
finish();
