/**
 * Crash durability (issue 10, PRD §3 story 3 "no data loss in crash test (100 iterations)"): the
 * compiled `dash serve` under concurrent load is `kill -9`ed at random moments 100 times. After
 * every kill the database is sound, holds every acknowledged write, its budget sums are exact and
 * no usage report counted twice; after every restart no agent is running without a process.
 * `bun run stress:crash --iterations 1000` is the long form (bench/crash-loop.ts).
 */
import { expect, test } from "bun:test";
import { runCrashLoop } from "../../bench/crash-loop.ts";
import { compiledDash } from "../e2e/compiled.ts";

const ITERATIONS = Number(process.env.CRASH_ITERATIONS || 100);

test(`kill -9 at ${ITERATIONS} random moments under load loses no acknowledged write`, async () => {
  const bin = await compiledDash();
  const result = await runCrashLoop({ dash: [bin], iterations: ITERATIONS, seed: 20_261_124 });
  const { counts, restart } = result;
  console.log(
    `crash loop: ${result.iterations} kills (${result.killedStarting} while starting) in ${result.seconds.toFixed(0)} s; ` +
      `${counts.acknowledged} acknowledged, ${counts.refused} refused, ${counts.lost} in flight at a kill; ` +
      `${result.swarms} swarms, ${result.agents} agents; restart p50 ${restart.p50.toFixed(0)} ms, p99 ${restart.p99.toFixed(0)} ms`,
  );
  console.log("refused:", result.refusals, "seconds in:", result.phaseSeconds);
  expect(result.problems).toEqual([]);
  // The load did reach the server: most iterations saw acknowledged writes and kills mid-request.
  expect(counts.acknowledged).toBeGreaterThan(ITERATIONS * 10);
  expect(counts.lost).toBeGreaterThan(ITERATIONS / 2);
}, 900_000);
