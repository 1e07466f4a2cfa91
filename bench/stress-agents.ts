/**
 * `bun run stress:agents [--agents 500]`: PRD §9.4 at scale against the compiled binary; prints the
 * verdict and writes the agents section of bench/RESULTS.md.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildBinary, hostTarget } from "../build.ts";
import { type AgentsStressResult, runAgentsStress } from "./agents-stress.ts";
import { machineLine, table, writeSection } from "./results.ts";

export function agentsSection(r: AgentsStressResult): string {
  const allRunning =
    r.allRunningAfterMs === null ? "never all at once" : `${(r.allRunningAfterMs / 1000).toFixed(1)} s`;
  return [
    machineLine(),
    "",
    `${r.agents} command agents (swarms of ≤ 100, each agent 5 usage and progress reports 0.5 s apart, under the file sandbox) started at once and watched on the WebSocket stream. PRD §9.4 target: no race, exact budget, done within 5 minutes.`,
    "",
    table(
      ["agents", "all done in", "peak running", "all running after", "events received", "server peak RSS"],
      [
        [
          r.agents,
          `${r.seconds.toFixed(1)} s`,
          r.peakRunning,
          allRunning,
          r.events,
          `${r.serverPeakRssMiB.toFixed(0)} MiB`,
        ],
      ],
    ),
    "",
    r.problems.length === 0
      ? `**Verdict: passed.** No invalid transition, ${r.agents} unique ids, all completed, every budget's spend equal to its agents' costs and to what they reported, to the micro-dollar.`
      : `**Verdict: FAILED** (${r.problems.length} problems):\n\n${r.problems
          .slice(0, 20)
          .map((p) => `- ${p}`)
          .join("\n")}`,
  ].join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { agents: { type: "string", default: "500" } } });
  const agents = Number(values.agents);
  if (!Number.isInteger(agents) || agents < 1) throw new Error("--agents must be a positive integer");
  const dir = mkdtempSync(join(tmpdir(), "dash-stress-bin-"));
  try {
    const bin = join(dir, "dash");
    await buildBinary(hostTarget(), bin);
    const result = await runAgentsStress([bin], agents);
    console.log(agentsSection(result));
    writeSection("agents", agentsSection(result));
    process.exitCode = result.problems.length === 0 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
