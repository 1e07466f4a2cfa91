import { afterEach, expect, test } from "bun:test";
import fc from "fast-check";
import { type DashEvent, EventSchema } from "../../src/domain/event.ts";
import { testServer } from "../api-helpers.ts";
import { fuzzSeeds, saveFailure } from "./fuzz-seeds.ts";
import { wsFuzzRun } from "./fuzz-ws-round.ts";

/*
 * Property-based fuzz of the WebSocket protocol (GET /events, PRD §5.4): generated sessions (hostile
 * upgrade requests, then valid, malformed, binary, fragmented, huge and protocol-breaking frames, in
 * bursts and cut at any byte) against a real server, while valid HTTP calls make events flow. Every
 * connection must stay usable or close with a documented code and a reason, every reply must be a
 * documented frame, and afterwards /health answers, a fresh subscriber gets exactly its filter's
 * events and the database is sound. Problems are recorded, not thrown, so one run lists them all;
 * a failing seed is saved in fuzz-failures/ and replayed on every later run.
 */

const SUITE = "fuzz-ws";
const SEEDS = fuzzSeeds(SUITE, 20_250_611);
const ROUNDS = 150; // each: 1-3 concurrent sessions and 1-3 HTTP calls
// Short, so the heartbeat (ping, answered or dropped) runs during the fuzz too.
const WEBSOCKET = { heartbeatMs: 500, maxBufferBytes: 4 * 1024 * 1024 };

type Api = Awaited<ReturnType<typeof testServer>>;

/** A fresh, well-behaved client (Bun's WebSocket), keeping its events and the filter acknowledged. */
function follow(api: Api, query: string) {
  const ws = new WebSocket(
    `${api.server.url.origin.replace("http", "ws")}/events?token=${api.keys.read}${query}`,
  );
  const state = { ready: false, subscribed: false, events: [] as DashEvent[], closed: "" };
  ws.addEventListener("message", (m) => {
    const body = JSON.parse(String(m.data)) as { op?: string };
    if (body.op === "ready") state.ready = true;
    if (body.op === "subscribed") state.subscribed = true;
    if (!body.op) state.events.push(EventSchema.parse(body));
  });
  ws.addEventListener("close", (e) => {
    state.closed = `${e.code} ${e.reason}`;
  });
  return { ws, state };
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await Bun.sleep(5);
  return check();
}

/**
 * After the fuzz: a new subscriber by query filter, and one that narrows `*` with a subscribe, each get
 * their own filter's events of a new swarm and nothing else.
 */
async function freshSubscribers(api: Api, note: (problem: string, example: string) => void): Promise<void> {
  const spawned = follow(api, "&filter=agent.spawned");
  const swarms = follow(api, "");
  try {
    if (!(await until(() => swarms.state.ready && spawned.state.ready, 5_000)))
      return note("after the fuzz: a fresh subscriber got no ready", "");
    swarms.ws.send(JSON.stringify({ op: "subscribe", filter: ["swarm.*"] }));
    if (!(await until(() => swarms.state.subscribed, 5_000)))
      return note("after the fuzz: subscribe was not acknowledged", "");
    swarms.state.events.length = 0; // events before the acknowledgement followed the old filter
    const body = { name: "after", task: "t", initialAgents: 2 };
    const [status, swarm] = await api.json<{ id: string }>("POST", "/api/swarm", api.keys.write, body);
    if (status !== 201)
      return note(`after the fuzz: creating a swarm answered ${status}`, JSON.stringify(swarm));
    const ofSwarm = (e: DashEvent) => e.data.swarmId === swarm.id;
    const all = () => [...swarms.state.events, ...spawned.state.events];
    const got = () =>
      swarms.state.events.some((e) => e.type === "swarm.created" && ofSwarm(e)) &&
      spawned.state.events.filter(ofSwarm).length === 2;
    if (!(await until(got, 5_000)))
      note(
        "after the fuzz: a fresh subscriber missed events of its filter",
        JSON.stringify(all().map((e) => e.type)),
      );
    await Bun.sleep(50); // room for a stray event to arrive
    const stray = [
      ...swarms.state.events.filter((e) => !e.type.startsWith("swarm.")),
      ...spawned.state.events.filter((e) => e.type !== "agent.spawned"),
    ];
    if (stray.length > 0)
      note(
        "after the fuzz: a fresh subscriber got events outside its filter",
        stray.map((e) => e.type).join(", "),
      );
    const closed = swarms.state.closed || spawned.state.closed;
    if (closed) note("after the fuzz: a fresh subscriber was closed", closed);
  } finally {
    swarms.ws.close();
    spawned.ws.close();
  }
}

/**
 * Bun's test runner fails the test at once when an exception escapes a server handler (`dash serve`
 * would print it and drop the message), so the test body never reaches its report: this saves the
 * seed of a run that did not finish, with what it was playing, and stops its server.
 */
let current: { seed: number; api: Api; run: ReturnType<typeof wsFuzzRun>; finished: boolean } | undefined;
afterEach(async () => {
  if (!current) return;
  const { seed, api, run, finished } = current;
  current = undefined;
  if (!finished) {
    run.note(
      "the run was aborted: an exception escaped a server handler (printed above), or it timed out",
      run.stats.inFlight,
    );
    saveFailure(SUITE, import.meta.path, seed, run.problems);
  }
  await api.close();
});

for (const seed of SEEDS) {
  test(`fuzz-ws seed ${seed}: sessions stay usable or close with a documented code; events follow the filter`, async () => {
    console.log(`fuzz-ws seed ${seed} (override with FUZZ_SEED=<n> or FUZZ_SEED=random)`);
    const api = await testServer({ websocket: WEBSOCKET });
    const run = wsFuzzRun(api);
    current = { seed, api, run, finished: false };
    const started = performance.now();
    await fc.assert(fc.asyncProperty(run.round, run.play), { seed, numRuns: ROUNDS });
    await freshSubscribers(api, run.note);
    const health = await api.call("GET", "/health");
    if (health.status !== 200) run.note("after the fuzz: /health is not 200", String(health.status));
    const db = api.t.store.db;
    const integrity = db.query("PRAGMA integrity_check").all();
    if (JSON.stringify(integrity) !== '[{"integrity_check":"ok"}]')
      run.note("integrity_check failed", JSON.stringify(integrity));
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const events = db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM events").get()?.n;
    const summary = `${run.stats.frames} frames in ${seconds}s; ${events} events, ${run.stats.events} received`;
    console.log(`fuzz-ws: ${summary}; outcomes`, Object.fromEntries([...run.stats.outcomes].sort()));
    for (const [problem, { count, example }] of run.problems)
      console.log(`PROBLEM ×${count}: ${problem}\n    ${example}`);
    current.finished = true;
    saveFailure(SUITE, import.meta.path, seed, run.problems);
    expect(run.stats.frames).toBeGreaterThanOrEqual(2_000);
    expect([...run.problems.keys()]).toEqual([]);
  }, 90_000);
}
