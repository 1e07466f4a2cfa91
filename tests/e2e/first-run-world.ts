/**
 * A newcomer's first five minutes with the compiled binary (issue 25), meant to run inside a network
 * namespace with only loopback (tests/helpers.ts runWorldOffline): a fresh DASH_HOME, `dash serve`,
 * and the command its first start prints, pasted as it is. `claude` mode puts the real Claude Code
 * CLI on the server's PATH, its model being the fake provider of this process. Prints one JSON line.
 *   bun tests/e2e/first-run-world.ts <dash binary> <none|claude>
 */
import { chmodSync, copyFileSync, linkSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AgentResponse } from "../../src/domain/agent.ts";
import { startFakeProvider } from "../fake-provider.ts";

const [bin = "", mode = "none"] = process.argv.slice(2);
const CLIS = ["claude", "codex", "gemini", "opencode"];
// The machine's PATH without any agent CLI: what a fresh machine has.
const bare = (process.env.PATH ?? "")
  .split(":")
  .filter((dir) => dir && !CLIS.some((cli) => Bun.which(cli, { PATH: dir })))
  .join(":");
const home = mkdtempSync(join(tmpdir(), "dash-first-run-"));
// Outside /tmp (a private tmpfs in the sandbox), passable by the agents' user as /usr/bin is.
const tools = mkdtempSync("/var/tmp/dash-first-run-bin-");
chmodSync(tools, 0o755);
const provider = startFakeProvider();
const env: Record<string, string> = { PATH: bare, DASH_HOME: join(home, "dash"), HOME: home, NO_COLOR: "1" };
if (mode === "claude") {
  const real = join(
    import.meta.dir,
    "..",
    "agent-clis",
    "node_modules",
    "@anthropic-ai",
    "claude-code",
    "bin",
    "claude.exe",
  );
  try {
    linkSync(real, join(tools, "claude"));
  } catch {
    copyFileSync(real, join(tools, "claude")); // another filesystem
  }
  mkdirSync(join(home, "claude"));
  Object.assign(env, {
    PATH: `${tools}:${bare}`,
    ANTHROPIC_BASE_URL: provider.url,
    ANTHROPIC_API_KEY: "sk-test",
    CLAUDE_CONFIG_DIR: join(home, "claude"),
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_AUTOUPDATER: "1",
  });
}

const server = Bun.spawn([bin, "serve", "--port", "0"], { env, stdout: "pipe", stderr: "pipe" });
let printed = "";
const decoder = new TextDecoder();
for await (const chunk of server.stdout) {
  printed += decoder.decode(chunk);
  if (printed.includes("Next, in another terminal:") && printed.endsWith("\n")) break;
}
const hint = /Next, in another terminal: (.+)/.exec(printed)?.[1]?.trim() ?? "";
const pasted = Bun.spawnSync(["sh", "-c", hint], { env, stdout: "pipe", stderr: "pipe" });
const list = () => {
  const run = Bun.spawnSync([bin, "agent", "list", "--json"], { env, stdout: "pipe", stderr: "pipe" });
  return run.exitCode === 0 ? (JSON.parse(run.stdout.toString()) as { agents: AgentResponse[] }).agents : [];
};
let agents = list();
for (const end = Date.now() + 90_000; Date.now() < end; await Bun.sleep(250)) {
  agents = list();
  if (agents.length > 0 && agents.every((a) => ["completed", "failed", "killed"].includes(a.status))) break;
}
server.kill("SIGTERM");
await server.exited;
provider.stop();
rmSync(home, { recursive: true, force: true });
rmSync(tools, { recursive: true, force: true });
console.log(
  JSON.stringify({
    printed,
    hint,
    pasted: { code: pasted.exitCode, out: pasted.stdout.toString(), err: pasted.stderr.toString() },
    agents: agents.map((a) => ({ status: a.status, error: a.error, sandbox: a.sandbox, cost: a.cost })),
    requests: provider.requests.map((r) => r.path),
  }),
);
