/**
 * Plugins, black box: the compiled `dash serve` loads examples/plugins/word-count.ts from
 * DASH_HOME (config.yaml `plugins:`) with import(), and a swarm whose `config.runtime` names it runs
 * to completed through the shim and the sandbox, with the progress, usage and result the plugin's
 * parser read from its agents' output. A plugin with a syntax error, or a bad export, stops
 * `dash serve` with a non-zero exit and a message naming the file.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AgentResponseSchema } from "../../src/domain/agent.ts";
import { type DashEvent, EventSchema } from "../../src/domain/event.ts";
import { SwarmResponseSchema } from "../../src/domain/swarm.ts";
import { ROOT, tempHome, until } from "../helpers.ts";
import { compiledDash, startServe } from "./compiled.ts";

const work = tempHome("dash-plugin-bin-");
let bin = "";
beforeAll(async () => {
  bin = await compiledDash();
}, 120_000);
afterAll(() => work.cleanup());

/** A DASH_HOME with this plugin file at plugins/<name> and config.yaml listing it (relative). */
function homeWith(name: string, source: string): string {
  const home = mkdtempSync(join(work.dir, "home-"));
  mkdirSync(join(home, "plugins"));
  writeFileSync(join(home, "plugins", name), source);
  writeFileSync(join(home, "config.yaml"), `plugins: [plugins/${name}]\n`);
  return home;
}

const TASK = "count the words of this task";
const WORDS = 6;

test("a swarm on the example plugin runtime runs to completed with the plugin's reports", async () => {
  const home = homeWith("word-count.ts", readFileSync(join(ROOT, "examples/plugins/word-count.ts"), "utf8"));
  const served = await startServe(bin, home);
  try {
    const { key } = JSON.parse(readFileSync(join(home, "credentials"), "utf8")) as { key: string };
    const api = async (path: string, init: RequestInit = {}) => {
      const res = await fetch(new URL(path, served.url), {
        ...init,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      });
      const body = (await res.json()) as unknown;
      if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${JSON.stringify(body)}`);
      return body;
    };
    const created = SwarmResponseSchema.parse(
      await api("/api/swarm", {
        method: "POST",
        body: JSON.stringify({
          name: "words",
          task: TASK,
          initialAgents: 2,
          budget: { amount: 1 },
          config: { runtime: "word-count", maxRetries: 0 },
        }),
      }),
    );
    expect(created.runtime).toBe("word-count");
    let swarm = created;
    await until(async () => {
      swarm = SwarmResponseSchema.parse(await api(`/api/swarm/${created.id}`));
      return swarm.status === "completed" || swarm.status === "failed";
    }, 60_000);
    const page = (await api(`/api/agents?swarmId=${created.id}`)) as { agents: unknown[] };
    const agents = page.agents.map((a) => AgentResponseSchema.parse(a));
    expect([swarm.status, agents.map((a) => [a.status, a.error])]).toEqual([
      "completed",
      [
        ["completed", null],
        ["completed", null],
      ],
    ]);
    const events = (
      (await api(`/api/events?type=agent.progress,agent.usage&limit=1000`)) as { events: unknown[] }
    ).events.map((e) => EventSchema.parse(e));
    for (const agent of agents) {
      // What the plugin's parse read from the agent's own output lines:
      expect(agent.progress).toEqual({ current: WORDS, total: WORDS, percentage: 100 });
      expect(agent.cost).toEqual({
        promptTokens: WORDS,
        completionTokens: 1,
        totalTokens: WORDS + 1,
        amount: WORDS * 1e-6,
      });
      expect(agent.result).toEqual({ words: WORDS });
      expect([agent.metering, agent.sandbox]).toEqual([
        "reports",
        process.platform === "linux" ? "bwrap" : "sandbox-exec",
      ]);
      // Live: one progress event a word, as the agent went.
      const mine = (e: DashEvent) => e.source === agent.id || e.data.agentId === agent.id;
      const steps = events.filter((e) => e.type === "agent.progress" && mine(e));
      expect(steps.length).toBe(WORDS);
      expect(events.some((e) => e.type === "agent.usage" && mine(e))).toBe(true);
      // And the lines that are not reports are the agent's log.
      const log = await fetch(new URL(`/api/agents/${agent.id}/logs?tail=100`, served.url), {
        headers: { authorization: `Bearer ${key}` },
      }).then((r) => r.text());
      expect(log).toContain(`counting ${WORDS} words`);
      expect(log).toContain("word 1: count");
    }
  } finally {
    served.proc.kill("SIGTERM");
    await served.proc.exited;
  }
}, 90_000);

/** `dash serve` on this home: it must exit (bounded, in case it serves after all). */
function serveOnce(home: string) {
  const run = Bun.spawnSync([bin, "serve", "--port", "0"], {
    env: { PATH: process.env.PATH ?? "", DASH_HOME: home, NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 30_000,
  });
  return { code: run.exitCode, err: run.stderr.toString() };
}

test("a plugin with a syntax error stops dash serve, naming the file, the line and the column", () => {
  const home = homeWith(
    "broken.ts",
    "export default {\n  kind: 'runtime',\n  name: 'x'\n  command: () => [],\n};\n",
  );
  const file = join(home, "plugins/broken.ts");
  const { code, err } = serveOnce(home);
  expect(code).toBe(1);
  expect(err).toStartWith(
    `error: plugin ${file} (plugins[0] in config.yaml): syntax error at line 4, column 3: `,
  );
  expect(err).not.toContain('"dash serving"');
});

test("a plugin with a bad export stops dash serve, naming the file and the field", () => {
  const home = homeWith(
    "bad-export.ts",
    `export default { kind: "runtime", name: "x", command: ["echo", "hi"] };\n`,
  );
  const file = join(home, "plugins/bad-export.ts");
  const { code, err } = serveOnce(home);
  expect(code).toBe(1);
  expect(err).toBe(
    `error: plugin ${file} (plugins[0] in config.yaml): the export: command: must be a function (context => argv) (in the plugin "x")\n`,
  );
});
