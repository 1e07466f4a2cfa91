import { expect, test } from "bun:test";
import { ErrorResponseSchema } from "../../src/domain/error-response.ts";
import { newId } from "../../src/domain/ids.ts";
import { LIMITS } from "../../src/domain/limits.ts";
import { serverWithAgents, sh } from "../agents-helpers.ts";
import { TEST_STORE } from "../helpers.ts";

/*
 * Issue 24 over HTTP: a free-form field over its bound (src/domain/limits.ts) is a 400 naming it,
 * so many requests cannot grow the database past the bound × their count (the probe stored 120 MB
 * of approval details in 2 s); an agent's huge result is stored as a marker, never refused.
 */
const { api, s } = await serverWithAgents();
const { keys: k } = api;
// The probe's case measures the SQLite file itself (skipped on PostgreSQL; the bounds are the API's).
const db = api.t.store.db;

/** The database's size as SQLite sees it (the WAL's committed pages included). */
const dbBytes = () => {
  const pages = db.query<{ page_count: number }, []>("PRAGMA page_count").get()?.page_count ?? 0;
  const size = db.query<{ page_size: number }, []>("PRAGMA page_size").get()?.page_size ?? 0;
  return pages * size;
};

async function refusal(res: Response) {
  const { error } = ErrorResponseSchema.parse(await res.json());
  return {
    status: res.status,
    code: error.code,
    field: (error.details as { field?: string } | undefined)?.field,
  };
}

/** JSON of exactly `bytes` bytes: `{"a":"xxx…"}`. */
const jsonOf = (bytes: number) => ({ a: "x".repeat(bytes - '{"a":""}'.length) });

test("an approval's details over LIMITS.details is 400 naming details; at the bound it is taken", async () => {
  const over = await api.call("POST", "/api/approvals", k.write, {
    title: "Deploy?",
    details: jsonOf(LIMITS.details.bytes + 1),
  });
  expect(await refusal(over)).toEqual({ status: 400, code: "VALIDATION_ERROR", field: "details" });
  const fits = await api.call("POST", "/api/approvals", k.write, {
    title: "Deploy?",
    details: jsonOf(LIMITS.details.bytes),
  });
  expect(fits.status).toBe(201);
  // A whole body over MAX_BODY_BYTES is refused before it is parsed.
  const huge = await api.call("POST", "/api/approvals", k.write, {
    title: "t",
    details: jsonOf(11 * 2 ** 20),
  });
  expect([huge.status, (await refusal(huge)).code]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
});

test.skipIf(TEST_STORE === "postgres")(
  "the probe's case: 300 requests of 100 KB details store nothing; 100 at the bound store ≤ bound × 100",
  async () => {
    const before = dbBytes();
    const ask = (details: unknown) =>
      api.call("POST", "/api/approvals", k.write, { title: "probe", details });
    for (let batch = 0; batch < 10; batch++) {
      const answers = await Promise.all(Array.from({ length: 30 }, () => ask(jsonOf(100_000))));
      expect(new Set(answers.map((r) => r.status))).toEqual(new Set([400]));
    }
    expect(dbBytes() - before).toBeLessThan(64 * 1024);
    const count = 100;
    const start = dbBytes();
    const taken = await Promise.all(Array.from({ length: count }, () => ask(jsonOf(LIMITS.details.bytes))));
    expect(new Set(taken.map((r) => r.status))).toEqual(new Set([201]));
    // Each is stored twice (the request and its approval.requested event), plus row overhead.
    const grown = dbBytes() - start;
    expect(grown).toBeGreaterThan(count * LIMITS.details.bytes);
    expect(grown).toBeLessThanOrEqual(count * (2 * LIMITS.details.bytes + 4096));
  },
);

test("every kind of free-form field over its bound is 400 VALIDATION_ERROR naming the field", async () => {
  const [, swarm] = await api.json<{ id: string }>("POST", "/api/swarm", k.write, {
    name: "bounds",
    task: "t",
  });
  const long = (n: number) => "x".repeat(n + 1);
  const cases: [string, string, string, unknown, string][] = [
    [
      "POST",
      "/api/agents",
      k.write,
      { swarmId: swarm.id, metadata: jsonOf(LIMITS.metadata.bytes + 1) },
      "metadata",
    ],
    ["POST", "/api/swarm", k.write, { name: "i", task: "t", inputs: [long(LIMITS.input.bytes)] }, "inputs.0"],
    ["POST", "/api/swarm", k.write, { name: long(LIMITS.name), task: "t" }, "name"],
    ["POST", "/api/swarm", k.write, { name: "n", task: long(LIMITS.task) }, "task"],
    [
      "POST",
      "/api/swarm",
      k.admin,
      { name: "n", task: "t", config: { command: [long(LIMITS.arg)] } },
      "config.command.0",
    ],
    ["POST", "/api/approvals", k.write, { title: long(LIMITS.title) }, "title"],
    ["POST", `/api/approvals/${newId()}/deny`, k.write, { reason: long(LIMITS.reason) }, "reason"],
    ["POST", `/api/agents/${newId()}/pause`, k.write, { reason: long(LIMITS.reason) }, "reason"],
    [
      "POST",
      `/api/agents/${newId()}/usage`,
      k.write,
      { model: long(LIMITS.model), promptTokens: 1, completionTokens: 1, costUsd: 0 },
      "model",
    ],
    ["POST", "/api/budget/allocate", k.write, { project: long(LIMITS.name), amount: 1 }, "project"],
    ["POST", "/api/keys", k.admin, { name: long(LIMITS.name), permissions: ["read"] }, "name"],
    ["GET", `/api/events?type=${long(LIMITS.typeList)}`, k.read, undefined, "type"],
  ];
  const answers = await Promise.all(
    cases.map(async ([method, path, key, body]) => refusal(await api.call(method, path, key, body))),
  );
  expect(answers).toEqual(cases.map(([, , , , field]) => ({ status: 400, code: "VALIDATION_ERROR", field })));
});

/** An agent that prints `{"dash":"<kind>","<key>":"xxx…"}` of `n` x's, then exits 0. */
const printing = (kind: string, key: string, n: number) =>
  sh(`printf '{"dash":"${kind}","${key}":"%s"}\\n' "$(head -c ${n} /dev/zero | tr '\\0' x)"; echo done`);

test("an agent's result over LIMITS.result completes it with a marker; its log keeps the whole line", async () => {
  const n = 3 * LIMITS.result.bytes;
  const { agents } = await s.swarm(printing("result", "result", n), { maxRetries: 0 });
  const id = agents[0]?.id as string;
  expect((await s.waitFor(id)).status).toBe("completed");
  const [, agent] = await api.json<{ result: Record<string, unknown> }>("GET", `/api/agents/${id}`, k.read);
  expect(agent.result).toMatchObject({ tooLarge: true, bytes: n + 2, maxBytes: LIMITS.result.bytes });
  expect(String(agent.result.preview)).toBe("x".repeat(LIMITS.resultPreview));
  const completed = s.t.published.find((e) => e.source === id && e.type === "agent.completed");
  expect(completed?.data.result).toEqual(agent.result);
  const [, logs] = await api.json<{ lines: string[] }>("GET", `/api/agents/${id}/logs`, k.read);
  expect(logs.lines.some((l) => l.length === n + '{"dash":"result","result":""}'.length)).toBe(true);
});

test("an agent's error line over LIMITS.errorMessage still fails it, with the message cut and marked", async () => {
  const n = 5 * LIMITS.errorMessage;
  const { agents } = await s.swarm(printing("error", "message", n), { maxRetries: 0 });
  const agent = await s.waitFor(agents[0]?.id as string);
  expect(agent.status).toBe("failed");
  const { message } = agent.error as { message: string };
  expect(message.startsWith("x".repeat(LIMITS.errorMessage))).toBe(true);
  expect(message).toContain(`[cut: ${n} characters`);
  expect(message.length).toBeLessThan(LIMITS.errorMessage + 200);
});
