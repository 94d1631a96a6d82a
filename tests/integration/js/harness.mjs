// Runs named steps, reports each, and exits non-zero when any failed; the
// pytest side (test_js_sdks.py) shows this output when a script fails.
export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const failures = [];

export async function step(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failures.push(name);
    const detail = e.code ? `${e.statusCode ?? ""} ${e.code}` : "";
    console.log(`FAIL ${name}: ${detail} ${String(e.message ?? e).split("\n")[0]}`);
  }
}

export function check(condition, what) {
  if (!condition) throw new Error(what);
}

export function finish() {
  if (failures.length) {
    console.log(`${failures.length} step(s) failed: ${failures.join(", ")}`);
    process.exit(1);
  }
  console.log("all steps passed");
}
