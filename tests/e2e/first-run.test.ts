import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runWorldOffline, tempHome } from "../helpers.ts";
import { compiledDash, runDash, startServe } from "./compiled.ts";

/**
 * The first five minutes (issue 25), with the compiled binary: the command `dash serve` prints on
 * its first start, pasted as it is, makes a swarm whose agents complete — with no agent CLI on the
 * machine (demo), and with Claude Code on it (claude-code, its model the fake provider, offline).
 * A swarm of a runtime whose CLI is missing is refused at once, and nothing of it is written.
 */

interface World {
  printed: string;
  hint: string;
  pasted: { code: number; out: string; err: string };
  agents: { status: string; error: unknown; sandbox: string | null; cost: { amount: number } }[];
  requests: string[];
}

const work = tempHome("dash-first-run-e2e-");
const CLIS = ["claude", "codex", "gemini", "opencode"];
const bare = (process.env.PATH ?? "")
  .split(":")
  .filter((dir) => dir && !CLIS.some((cli) => Bun.which(cli, { PATH: dir })))
  .join(":");
let bin = "";
beforeAll(async () => {
  bin = await compiledDash();
}, 120_000);
afterAll(() => work.cleanup());

test("no agent CLI here: the first-start hint names demo, and pasted verbatim its three agents complete", async () => {
  const world = await runWorldOffline<World>(`tests/e2e/first-run-world.ts ${bin} none`, "first-run");
  expect(world.printed).toContain("First start: created an admin API key");
  expect(world.hint).toBe(`${bin} swarm create demo --task "Say hello" --agents 3 --runtime demo`);
  expect(world.printed).toContain("no agent CLI (claude, codex, gemini, opencode) is installed here");
  expect(world.pasted.code, world.pasted.err).toBe(0);
  expect(world.agents.map((a) => a.status)).toEqual(["completed", "completed", "completed"]);
}, 150_000);

const claude = join(
  ROOT,
  "tests",
  "agent-clis",
  "node_modules",
  "@anthropic-ai",
  "claude-code",
  "bin",
  "claude.exe",
);
test.if(existsSync(claude))(
  "with claude on the PATH the hint names claude-code (the default, no flag) and its agents complete",
  async () => {
    const world = await runWorldOffline<World>(`tests/e2e/first-run-world.ts ${bin} claude`, "first-run");
    expect(world.hint).toBe(`${bin} swarm create demo --task "Say hello" --agents 3`);
    expect(world.printed).not.toContain("no agent CLI");
    expect(world.pasted.code, world.pasted.err).toBe(0);
    expect(
      world.agents.map((a) => a.status),
      JSON.stringify(world.agents),
    ).toEqual(["completed", "completed", "completed"]);
    expect(world.agents.every((a) => a.sandbox === "bwrap" && a.cost.amount > 0)).toBe(true);
    expect(world.requests.filter((path) => path.startsWith("/v1/messages")).length).toBeGreaterThanOrEqual(3);
  },
  150_000,
);

test("a runtime whose CLI is missing is refused with 400 and the install hint; nothing is written", async () => {
  const home = mkdtempSync(join(work.dir, "home-"));
  const served = await startServe(bin, home, { PATH: bare });
  try {
    const { key } = JSON.parse(readFileSync(join(home, "credentials"), "utf8")) as { key: string };
    const get = async (path: string) =>
      (await fetch(new URL(path, served.url), { headers: { authorization: `Bearer ${key}` } })).json();
    const eventsBefore = ((await get("/api/events")) as { events: unknown[] }).events.length;
    const res = await fetch(new URL("/api/swarm", served.url), {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "x", task: "t", initialAgents: 3, config: { runtime: "codex" } }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("VALIDATION_ERROR");
    expect(body.error.message).toContain("npm install -g @openai/codex");
    // The CLI says the same, with the exit code of bad input.
    const cli = runDash(bin, home, ["swarm", "create", "y", "--task", "t", "--runtime", "claude-code"], {
      PATH: bare,
    });
    expect(cli.code).toBe(2);
    expect(cli.err).toContain("npm install -g @anthropic-ai/claude-code");
    expect(await get("/api/swarm")).toEqual({ swarms: [] });
    expect(((await get("/api/agents")) as { agents: unknown[] }).agents).toEqual([]);
    expect(((await get("/api/events")) as { events: unknown[] }).events).toHaveLength(eventsBefore);
  } finally {
    served.proc.kill("SIGTERM");
    await served.proc.exited;
  }
}, 60_000);
