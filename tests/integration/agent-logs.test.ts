import { afterAll, expect, test } from "bun:test";
import { main } from "../../src/cli/index.ts";
import { runCli } from "../../src/cli/run.ts";
import { AgentLogsSchema } from "../../src/domain/wire.ts";
import { line, sh, testScheduler } from "../agents-helpers.ts";
import { testServer } from "../api-helpers.ts";

const api = await testServer();
const s = await testScheduler({ t: api.t });
afterAll(async () => {
  await s.scheduler.stop();
  await api.close();
});

const SCRIPT = `for i in 1 2 3 4 5; do echo "line $i"; sleep 0.1; done; echo "to stderr" >&2; ${line({ dash: "progress", current: 1, total: 1 })}`;

test("GET /api/agents/:id/logs: tail, after an offset, follow as a text stream; 404 for no agent", async () => {
  const { agents } = await s.swarm(sh(SCRIPT));
  const id = agents[0]?.id as string;
  // Follow from the start: the stream ends when the agent does.
  await s.waitFor(id, ["running", "completed"]);
  const followed = await api.call("GET", `/api/agents/${id}/logs?follow=true&tail=0`, api.keys.read);
  expect(followed.headers.get("content-type")).toContain("text/plain");
  const text = await followed.text();
  expect(text).toContain("line 1\n");
  expect(text).toContain("line 5\nto stderr\n");

  const [status, body] = await api.json("GET", `/api/agents/${id}/logs?tail=2`, api.keys.read);
  expect(status).toBe(200);
  const page = AgentLogsSchema.parse(body);
  expect(page.lines).toEqual(["to stderr", '{"dash":"progress","current":1,"total":1}']);
  expect(page.finished).toBe(true);
  const after = AgentLogsSchema.parse(
    (await api.json("GET", `/api/agents/${id}/logs?after=7`, api.keys.read))[1],
  );
  expect(after.lines[0]).toBe("line 2");
  expect(after.offset).toBe(page.offset);

  expect((await api.call("GET", `/api/agents/${id}/logs?tail=-1`, api.keys.read)).status).toBe(400);
  expect((await api.call("GET", "/api/agents/01ARZ3NDEKTSV4RRFFQ69G5FAV/logs", api.keys.read)).status).toBe(
    404,
  );
  expect((await api.call("GET", `/api/agents/${id}/logs`)).status).toBe(401);
});

test("dash agent logs -f prints the output until the agent finishes", async () => {
  const { agents } = await s.swarm(sh(SCRIPT));
  const id = agents[0]?.id as string;
  const out: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => out.push(parts.join(" "));
  try {
    const code = await runCli(
      main,
      ["agent", "logs", id, "-f", "--url", api.server.url.origin, "--key", api.keys.read],
      "1",
    );
    expect(code).toBe(0);
  } finally {
    console.log = log;
  }
  expect(out.filter((l) => l.startsWith("line "))).toEqual([
    "line 1",
    "line 2",
    "line 3",
    "line 4",
    "line 5",
  ]);
  expect(out).toContain("to stderr");
});
