import { afterAll, beforeAll, expect, test } from "bun:test";
import { SwarmResponseSchema } from "../../src/domain/swarm.ts";
import { tempHome } from "../helpers.ts";
import { compiledDash, runDash, startServe } from "./compiled.ts";

// The compiled `dash` as an operator uses it: `dash serve`, then the CLI with no flags at all
// (it finds the server and its admin key in DASH_HOME/credentials).
const home = tempHome("dash-cli-");
let bin = "";
beforeAll(async () => {
  bin = await compiledDash();
}, 120_000);
afterAll(() => home.cleanup());

const dash = (args: string[], env: Record<string, string> = {}) => runDash(bin, home.dir, args, env);

test("no server: the CLI says so, how to start one, and exits 4", () => {
  const run = dash(["swarm", "list"], { DASH_URL: "http://127.0.0.1:1" });
  expect(run.code).toBe(4);
  expect(run.err).toContain("No Dash server answers at http://127.0.0.1:1");
  expect(run.err).toContain("dash serve");
});

test("dash swarm create … --json, then dash swarm list and dash tree show it", async () => {
  // No agent starts (DASH_MAX_CONCURRENCY 0): this is about the CLI. The default runtime (Claude
  // Code) is not installed here, so such a swarm is refused at once: the demo runtime stands in.
  const served = await startServe(bin, home.dir, { DASH_MAX_CONCURRENCY: "0" });
  try {
    const created = dash([
      "swarm",
      "create",
      "ci-swarm",
      "--task",
      "Refactor the parser",
      "--agents",
      "2",
      "--runtime",
      "demo",
      "--json",
    ]);
    expect(created.err).toBe("");
    expect(created.code).toBe(0);
    const swarm = SwarmResponseSchema.parse(JSON.parse(created.out));
    expect(swarm).toMatchObject({ name: "ci-swarm", agentCount: 2, status: "active" });
    const list = dash(["swarm", "list"]);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(new RegExp(`${swarm.id}\\s+ci-swarm \\(demo\\)\\s+active\\s+2`));
    expect(dash(["tree"]).out).toContain("├─ ci-swarm-1");
    const bad = dash(["swarm", "show", swarm.id, "--key", "dash_api_key_0000000000000000000000000000000x"]);
    expect([bad.code, bad.err.trim()]).toEqual([3, "error: Invalid API key"]);
  } finally {
    served.proc.kill("SIGTERM");
    await served.proc.exited;
  }
});
