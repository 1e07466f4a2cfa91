import fc from "fast-check";
import { newId } from "../../src/domain/ids.ts";
import type { testServer } from "../api-helpers.ts";
import type { Problem } from "./fuzz-seeds.ts";
import { within } from "./fuzz-ws-client.ts";
import { type Action, actions, type SessionPlan, wsSessions } from "./fuzz-ws-connect.ts";
import { clip } from "./fuzz-ws-judge.ts";
import { playSession, type Sync } from "./fuzz-ws-session.ts";

/*
 * One round of the WS fuzz: 1-3 generated sessions at once, and 1-3 valid HTTP calls made once every
 * session is connected (so their events reach the sessions), then /health. Problems are recorded,
 * grouped by kind with the first example, never thrown, so one run lists every distinct failure.
 */

type Api = Awaited<ReturnType<typeof testServer>>;
export function wsFuzzRun(api: Api) {
  const problems = new Map<string, Problem>();
  const stats = { frames: 0, events: 0, inFlight: "", outcomes: new Map<string, number>() };
  const patience = { ms: 10_000 };
  const note = (problem: string, example: string) => {
    const seen = problems.get(problem);
    problems.set(problem, { count: (seen?.count ?? 0) + 1, example: seen?.example ?? example });
  };
  const db = api.t.store.db;
  const SQL = { SWARM: "swarms", AGENT: "agents", RECENT: "events" } as const;
  const idAt = (t: keyof typeof SQL, pick: number) =>
    db.query<{ id: string }, [number]>(`SELECT id FROM ${SQL[t]} ORDER BY id DESC LIMIT 1 OFFSET ?`).get(pick)
      ?.id;
  // $SWARM/$AGENT/$RECENT become recent rows, $ULID and $ISO now (so valid moves often apply, and a replay is short).
  const resolve = (s: string, pick: number) =>
    s
      .replace(/\$ULID/g, () => newId())
      .replace(/\$ISO/g, () => new Date(Date.now() - (pick % 1_000)).toISOString())
      .replace(/\$(SWARM|AGENT|RECENT)/g, (_, t: keyof typeof SQL) => idAt(t, pick % 40) ?? newId());
  const committed = () =>
    db
      .query<{ id: string; type: string; timestamp: number }, []>(
        "SELECT id, type, timestamp FROM events ORDER BY id",
      )
      .all();

  async function act(a: Action, pick: number): Promise<void> {
    const path = resolve(a.path, pick);
    const body = a.body === undefined ? undefined : JSON.parse(resolve(JSON.stringify(a.body), pick));
    const res = await within(api.call(a.method, path, api.keys.admin, body), 15_000);
    if (res === "timeout") return note(`HTTP ${a.method} hung during the fuzz`, path);
    if (res.status >= 500)
      note(`HTTP ${res.status} during the fuzz`, `${a.method} ${path} → ${await res.text()}`);
  }

  const round = fc.record({
    sessions: fc.array(wsSessions(api.keys), { minLength: 1, maxLength: 3 }),
    actions,
    pick: fc.nat(),
  });
  type Round = typeof round extends fc.Arbitrary<infer R> ? R : never;

  async function play({ sessions, actions: calls, pick }: Round): Promise<void> {
    const logged = api.lines.length;
    const queries = sessions.map((plan, i) => resolve(plan.connect.query, pick + i));
    const describe = (plan: SessionPlan, i: number) => {
      const headers = JSON.stringify(plan.connect.headers.map((h) => clip(h, 120)));
      const steps = clip(plan.steps.map((s) => s.label).join(" · "), 1_000);
      const request = `GET ${JSON.stringify(clip(plan.connect.path + queries[i]))} ${headers}`;
      return [request, `steps ${steps}`, `cuts ${plan.cuts}`].join("\n    ");
    };
    // What a run aborted by an exception escaping a handler was doing (see the test's afterEach).
    stats.inFlight = sessions.map(describe).join("\n    and ");
    let waiting = sessions.length;
    const { promise: allReady, resolve: go } = Promise.withResolvers<void>();
    const acted = allReady.then(() => Promise.all(calls.map((a, i) => act(a, pick + i)))).then(() => {});
    const played = sessions.map(async (plan, i) => {
      let done = false;
      const ready = () => {
        if (done) return;
        done = true;
        if (--waiting === 0) go();
      };
      const received = (n: number) => {
        stats.events += n;
      };
      const sync: Sync = { ready, acted, committed, received, patience };
      const at = (problem: string, detail: string) => note(problem, `${describe(plan, i)}\n    → ${detail}`);
      const outcome = await playSession(api.server.port ?? 0, plan, queries[i] ?? "", at, sync);
      stats.outcomes.set(outcome, (stats.outcomes.get(outcome) ?? 0) + 1);
      stats.frames += plan.steps.reduce((n, s) => n + s.frames.length, 0);
    });
    await Promise.all([...played, acted]);
    const health = await within(api.call("GET", "/health"), 10_000);
    if (health === "timeout" || health.status !== 200)
      note("/health is not 200", String(health === "timeout" ? health : health.status));
    for (const line of api.lines.slice(logged).filter((l) => l.includes('"level":"error"')))
      note("the server logged an error", clip(line, 700));
  }
  return { problems, stats, note, round, play };
}
