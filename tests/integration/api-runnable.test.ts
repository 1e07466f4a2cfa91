import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtInPresets } from "../../src/runtimes/presets.ts";
import { testServer } from "../api-helpers.ts";

/**
 * A swarm whose agents could not start is refused at once (issue 25), over real HTTP: no swarm, no
 * agents, no events are written; adding agents (spawn, scale up) to a swarm whose program went
 * away is refused too, while scaling down still works.
 */

const T = mkdtempSync(join(tmpdir(), "dash-runnable-api-"));
const AGENT = join(T, "my-agent");
const savedPath = process.env.PATH;
let api: Awaited<ReturnType<typeof testServer>>;

beforeAll(async () => {
  writeFileSync(AGENT, "#!/bin/sh\necho ok\n");
  chmodSync(AGENT, 0o755);
  const presets = { ...builtInPresets(), mine: { kind: "command" as const, command: [AGENT, "{task}"] } };
  api = await testServer({}, { runtimes: { presets, defaultRuntime: "claude-code" } });
  // The server's PATH: the system's, without any agent CLI (claude is not installed here).
  process.env.PATH = (savedPath ?? "")
    .split(":")
    .filter((dir) => !Bun.which("claude", { PATH: dir }))
    .join(":");
});

afterAll(async () => {
  process.env.PATH = savedPath;
  await api.close();
  rmSync(T, { recursive: true, force: true });
});

type Failure = { error: { code: string; message: string; details: Record<string, unknown> } };

test("a swarm of the default runtime without its CLI: 400 with the install hint, nothing written", async () => {
  const eventsBefore = (await api.t.store.listEvents()).length;
  const [status, body] = await api.json<Failure>("POST", "/api/swarm", api.keys.write, {
    name: "demo",
    task: "Say hello",
    initialAgents: 3,
  });
  expect(status).toBe(400);
  expect(body.error.code).toBe("VALIDATION_ERROR");
  expect(body.error.message).toContain('runtime "claude-code" needs `claude`');
  expect(body.error.details.install).toContain("npm install -g @anthropic-ai/claude-code");
  expect(await api.t.store.listSwarms()).toHaveLength(0);
  expect(await api.t.store.listAgents({})).toHaveLength(0);
  expect(await api.t.store.listEvents()).toHaveLength(eventsBefore);
});

test("spawn and scale up into a swarm whose program is gone (for over a second) are refused; scale down works", async () => {
  // An admin's key: fileSandbox: false (this test is not about the sandbox) is the operator's call.
  const [created, swarm] = await api.json<{ id: string }>("POST", "/api/swarm", api.keys.admin, {
    name: "mine",
    task: "work",
    initialAgents: 2,
    config: { runtime: "mine", fileSandbox: false },
  });
  expect(created).toBe(201);
  rmSync(AGENT);
  // Where a program was found is trusted for a second without a stat (core/runnable.ts): after
  // that, its removal is noticed.
  await Bun.sleep(1_100);
  const [spawned, spawnBody] = await api.json<Failure>("POST", "/api/agents", api.keys.write, {
    swarmId: swarm.id,
  });
  expect(spawned).toBe(400);
  expect(spawnBody.error.message).toContain(`install \`${AGENT}\``);
  const [up] = await api.json<Failure>("POST", `/api/swarm/${swarm.id}/scale`, api.keys.write, { target: 5 });
  expect(up).toBe(400);
  expect(await api.t.store.listAgents({ swarmId: swarm.id })).toHaveLength(2);
  const [down] = await api.json("POST", `/api/swarm/${swarm.id}/scale`, api.keys.write, { target: 1 });
  expect(down).toBe(200);
});
