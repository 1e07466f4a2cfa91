import { afterAll, expect, test } from "bun:test";
import { line, sh, testScheduler } from "../agents-helpers.ts";

// Issue 6: 200 concurrent command agents on a 2-core machine complete with no lost report.
const AGENTS = 200;
const REPORTS = 5;
const s = await testScheduler({ maxConcurrency: AGENTS });
afterAll(() => s.close());

test(`${AGENTS} concurrent command agents complete, every one of their ${AGENTS * REPORTS} usage reports counted`, async () => {
  const usage = line({ dash: "usage", promptTokens: 3, completionTokens: 2, costUsd: 0.000123 });
  const script = `i=0; while [ $i -lt ${REPORTS} ]; do ${usage}; i=$((i+1)); sleep 1; done`;
  const started = performance.now();
  const swarms = await Promise.all(
    [0, 1].map(() => s.swarm(sh(script), { timeout: 120_000, maxRetries: 0 }, AGENTS / 2)),
  );
  const ids = swarms.flatMap((w) => w.agents.map((a) => a.id));
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, s.scheduler.keeper.size);
  }, 50);
  const agents = await Promise.all(ids.map((id) => s.waitFor(id, undefined, 120_000)));
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  expect(agents.filter((a) => a.status !== "completed")).toEqual([]);
  expect(agents.every((a) => a.costMicros === REPORTS * 123 && a.promptTokens === REPORTS * 3)).toBe(true);
  const usageEvents = s.t.published.filter((e) => e.type === "agent.usage" && ids.includes(e.source));
  expect(usageEvents).toHaveLength(AGENTS * REPORTS);
  console.log(`${AGENTS} agents: all completed in ${seconds.toFixed(1)} s, up to ${peak} running at once`);
}, 180_000);
