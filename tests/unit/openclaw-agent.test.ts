/**
 * The openclaw agent and its gateway client in-process, against the stand-in gateway: reports,
 * the run book that keeps a replaced attempt on the same run, usage said only once, refusals.
 */
import { afterAll, afterEach, beforeEach, expect, spyOn, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runOpenClawAgent } from "../../src/runtimes/openclaw-agent.ts";
import { GatewayConnection, GatewayError } from "../../src/runtimes/openclaw-gateway.ts";
import { GatewayLink } from "../../src/runtimes/openclaw-link.ts";
import { costOf, fakeOpenClaw } from "../fake-openclaw.ts";

const TOKEN = "t0ken";
const gateway = fakeOpenClaw({ token: TOKEN });
// Dash's own answer about what an agent spent so far (read by a replacing attempt).
let recorded = { promptTokens: 0, completionTokens: 0, amount: 0 };
const dash = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.json({ cost: recorded }) });
afterAll(() => {
  gateway.stop();
  dash.stop(true);
});

let lines: string[] = [];
let log: ReturnType<typeof spyOn>;
const saved = { ...process.env };
beforeEach(() => {
  lines = [];
  log = spyOn(console, "log").mockImplementation((line: string) => void lines.push(String(line)));
  Object.assign(process.env, {
    OPENCLAW_GATEWAY_TOKEN: TOKEN,
    DASH_URL: dash.url.origin,
    DASH_AGENT_ID: "A1",
    DASH_AGENT_TOKEN: "k",
  });
});
afterEach(() => {
  log.mockRestore();
  process.env = { ...saved };
});

const settings = (patch: { sessionKey?: string; [k: string]: unknown } = {}) => {
  process.env.DASH_AGENT_ID = (patch.sessionKey ?? "dash-A1").slice(5);
  process.env.DASH_OPENCLAW = JSON.stringify({
    url: gateway.url,
    sessionKey: "dash-A1",
    label: "a",
    version: "t",
    ...patch,
  });
};
const reports = () =>
  lines.filter((l) => l.startsWith('{"dash"')).map((l) => JSON.parse(l) as Record<string, unknown>);
const dirs: string[] = [];
const dir = () => {
  const made = mkdtempSync(join(tmpdir(), "dash-claw-"));
  dirs.push(made);
  return made;
};
afterAll(() => {
  for (const made of dirs) rmSync(made, { recursive: true, force: true });
});

test("a run: session, usage as the gateway priced it, the reply as result; the run book says ok", async () => {
  settings({ sessionKey: "dash-A1", model: "fake/fake-model" });
  const where = dir();
  expect(await runOpenClawAgent("TASK: hello", "input", where)).toBe(0);
  const run = gateway.runs.get("dash-A1-1");
  expect(run?.message).toBe("TASK: hello\n\ninput");
  expect(reports()).toEqual([
    { dash: "progress", current: 0, total: 1 },
    { dash: "session", id: "agent:main:dash-A1" },
    { dash: "usage", promptTokens: run?.input, completionTokens: 20, costUsd: costOf(run?.input ?? 0, 20) },
    { dash: "progress", current: 1, total: 1 },
    { dash: "result", result: "done: TASK: hello\n\ninput" },
  ]);
  expect(JSON.parse(readFileSync(join(where, ".dash-openclaw.json"), "utf8"))).toEqual({
    runs: [{ key: "dash-A1-1", outcome: "ok" }],
  });
});

test("a replacing attempt follows the unfinished run and reports only what Dash has not recorded", async () => {
  settings({ sessionKey: "dash-A2" });
  const where = dir();
  writeFileSync(join(where, ".dash-openclaw.json"), JSON.stringify({ runs: [{ key: "dash-A2-1" }] }));
  const link = new GatewayLink({ url: gateway.url, token: TOKEN, version: "t" }, 1000);
  await link.request("agent", { message: "TASK: once", idempotencyKey: "dash-A2-1", sessionKey: "dash-A2" });
  link.close();
  recorded = { promptTokens: 50, completionTokens: 20, amount: 0.0001 };
  expect(await runOpenClawAgent("TASK: once", undefined, where)).toBe(0);
  expect(gateway.started.filter((r) => r.startsWith("dash-A2"))).toEqual(["dash-A2-1"]);
  const run = gateway.runs.get("dash-A2-1");
  const usage = reports().find((r) => r.dash === "usage");
  expect(usage).toEqual({
    dash: "usage",
    promptTokens: (run?.input ?? 0) - 50,
    completionTokens: 0,
    costUsd: (Math.round(costOf(run?.input ?? 0, 20) * 1e6) - 100) / 1e6,
  });
  expect(lines.join("\n")).toContain("started by an earlier attempt");
});

test("a run aborted by someone else, with no continuation, fails", async () => {
  settings({ sessionKey: "dash-A3" });
  const running = runOpenClawAgent("TASK: SLOW abort", undefined, dir());
  const link = new GatewayLink({ url: gateway.url, token: TOKEN, version: "t" }, 1000);
  while (gateway.runs.get("dash-A3-1")?.status !== "running") await Bun.sleep(10);
  await link.request("sessions.abort", { key: "dash-A3" });
  link.close();
  expect(await running).toBe(1);
  expect(reports().at(-1)).toEqual({
    dash: "error",
    message: "OpenClaw: the run was aborted in the gateway",
  });
});

test("a tree child whose parent's session never appears goes on without the link, and says so", async () => {
  settings({ sessionKey: "dash-A5", parentSessionKey: "dash-nobody", parentWaitMs: 600 });
  expect(await runOpenClawAgent("TASK: orphan", undefined, dir())).toBe(0);
  expect(lines.join("\n")).toContain(
    "the parent session dash-nobody did not appear: this session has no parent",
  );
  expect(gateway.parents.has("agent:main:dash-A5")).toBe(false);
});

test("bad settings and a missing token are errors that say what to fix (exit 2)", async () => {
  process.env.DASH_OPENCLAW = JSON.stringify({ url: "http://not-ws" });
  expect(await runOpenClawAgent("t", undefined, dir())).toBe(2);
  expect(String(reports()[0]?.message)).toContain("bad openclaw runtime settings");
  settings();
  delete process.env.OPENCLAW_GATEWAY_TOKEN;
  process.env.OPENCLAW_API_KEY = "";
  expect(await runOpenClawAgent("t", undefined, dir())).toBe(2);
  expect(String(reports()[1]?.message)).toContain("set OPENCLAW_GATEWAY_TOKEN (or OPENCLAW_API_KEY)");
});

test("the PRD's OPENCLAW_API_KEY is the token too", async () => {
  settings({ sessionKey: "dash-A4" });
  delete process.env.OPENCLAW_GATEWAY_TOKEN;
  process.env.OPENCLAW_API_KEY = TOKEN;
  expect(await runOpenClawAgent("TASK: alias", undefined, dir())).toBe(0);
});

test("the client: an unknown method, a silent gateway, a protocol mismatch and a closed connection say so", async () => {
  const connection = await GatewayConnection.open({ url: gateway.url, token: TOKEN, version: "t" });
  expect(connection.serverVersion).toBe("fake");
  const refused = await connection.request("dash.nope", {}).catch((e: GatewayError) => e);
  expect([refused.code, refused.message]).toEqual([
    "REFUSED",
    "dash.nope: unknown method: dash.nope (INVALID_REQUEST)",
  ]);
  await connection.request("agent", { message: "SLOW", idempotencyKey: "slow-1", sessionKey: "s" });
  const slow = await connection
    .request("agent.wait", { runId: "slow-1", timeoutMs: 500 }, 50)
    .catch((e: GatewayError) => e);
  expect([slow.code, slow.message]).toEqual(["TIMEOUT", "the gateway did not answer agent.wait in 50 ms"]);
  connection.close();
  expect((await connection.request("sessions.list", {}).catch((e: GatewayError) => e)).code).toBe("CLOSED");
  const old = fakeOpenClaw({ token: TOKEN, protocol: 3 });
  const mismatch = await GatewayConnection.open({ url: old.url, token: TOKEN, version: "t" }).catch((e) => e);
  old.stop();
  expect(mismatch).toBeInstanceOf(GatewayError);
  expect(mismatch.message).toBe("the gateway speaks protocol 3, Dash speaks 4");
});

test("the link waits out a gateway that is starting, and gives up on one that stays away", async () => {
  const starting = fakeOpenClaw({ token: TOKEN, startingFor: 2 });
  const link = new GatewayLink({ url: starting.url, token: TOKEN, version: "t" }, 10_000);
  expect(await link.request("sessions.describe", { key: "k" })).toEqual({
    session: { key: "agent:main:k", status: "done" },
  });
  starting.stop();
  link.close();
  const away = new GatewayLink({ url: starting.url, token: TOKEN, version: "t", timeoutMs: 200 }, 300);
  const error = await away.request("sessions.describe", { key: "k" }).catch((e: GatewayError) => e);
  expect(error.message).toMatch(
    /^no OpenClaw gateway answers at ws:\/\/127\.0\.0\.1:\d+ \(for \d s; gave up\)$/,
  );
});
