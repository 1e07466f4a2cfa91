/**
 * `bun run stress:crash [--iterations 1000] [--seed N]`: the long form of the crash-durability
 * loop against the compiled binary; prints progress and the verdict, writes bench/RESULTS.md.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildBinary, hostTarget } from "../build.ts";
import { type CrashLoopResult, runCrashLoop } from "./crash-loop.ts";
import { machineLine, table, writeSection } from "./results.ts";

const { values } = parseArgs({
  options: { iterations: { type: "string", default: "1000" }, seed: { type: "string" } },
});
const iterations = Number(values.iterations);
if (!Number.isInteger(iterations) || iterations < 1)
  throw new Error("--iterations must be a positive integer");

export function crashSection(r: CrashLoopResult): string {
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  const { counts } = r;
  return [
    machineLine(),
    "",
    `${r.iterations} iterations of concurrent load (8 clients: swarm and agent creates, scales, kills, allocations, HTTP usage reports; command agents reporting usage on stdout) and a \`kill -9\` at a random moment, ${r.killedStarting} of them during start-up and recovery; seed ${r.seed}; ${r.seconds.toFixed(0)} s.`,
    "",
    table(
      ["requests", "acknowledged", "refused (4xx)", "in flight at a kill", "swarms", "agents"],
      [[counts.requests, counts.acknowledged, counts.refused, counts.lost, r.swarms, r.agents]],
    ),
    "",
    table(
      ["restart to serving (recovery included)", "p50", "p95", "p99", "max"],
      [["", ms(r.restart.p50), ms(r.restart.p95), ms(r.restart.p99), ms(r.restart.max)]],
    ),
    "",
    `Time: ${r.phaseSeconds.load.toFixed(0)} s under load, ${r.phaseSeconds.checkImage.toFixed(0)} s checking crash images, ${r.phaseSeconds.checkLive.toFixed(0)} s checking live agents after restarts, the rest restarting. Refusals (expected: moves on finished agents and swarms): ${
      Object.entries(r.refusals)
        .map(([k, n]) => `${k} ×${n}`)
        .join(", ") || "none"
    }.`,
    "",
    r.problems.length === 0
      ? "**Verdict: passed.** After every kill: `PRAGMA integrity_check` ok, every acknowledged write present, every budget's spend equal to its agents' costs to the micro-dollar, no usage report counted twice; after every restart no agent `running` without a process."
      : `**Verdict: FAILED** (${r.problems.length} problems):\n\n${r.problems
          .slice(0, 20)
          .map((p) => `- ${p}`)
          .join("\n")}`,
  ].join("\n");
}

function progressSection(done: number, of: number, problems: string[]): string {
  const verdict =
    problems.length === 0
      ? "no problem so far"
      : `${problems.length} problems so far: ${problems.slice(0, 5).join("; ")}`;
  return `${machineLine()}\n\n**In progress or interrupted:** ${done} of ${of} iterations done, ${verdict}. The full table is written when the run ends.`;
}

if (import.meta.main) {
  const dir = mkdtempSync(join(tmpdir(), "dash-stress-bin-"));
  try {
    const bin = join(dir, "dash");
    await buildBinary(hostTarget(), bin);
    const seed = values.seed === undefined ? undefined : Number(values.seed);
    const found: string[] = [];
    const result = await runCrashLoop({
      dash: [bin],
      iterations,
      seed,
      onIteration: (i, problems) => {
        found.push(...problems);
        if (problems.length > 0 || i % 25 === 0 || i === iterations)
          console.log(`iteration ${i}/${iterations}${problems.length ? `: ${problems.join("; ")}` : ""}`);
        // A long run interrupted still leaves its figure: progress goes to RESULTS.md as it runs.
        if (i % 50 === 0 && i < iterations) writeSection("crash", progressSection(i, iterations, found));
      },
    });
    console.log(crashSection(result));
    writeSection("crash", crashSection(result));
    process.exitCode = result.problems.length === 0 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
