import type { DashClient } from "../client/client.ts";
import type { AgentResponse } from "../domain/agent.ts";
import type { SwarmResponse } from "../domain/swarm.ts";
import { bar, money, status } from "./common.ts";
import { bold, dim, green, red } from "./style.ts";

const FINISHED = new Set(["completed", "failed", "destroyed"]);

/** An agent that will not run again (a failed one with a retry coming is not). */
const ended = (a: AgentResponse) =>
  a.status === "completed" ||
  a.status === "killed" ||
  (a.status === "failed" && !(a.error as { willRetry?: boolean } | null)?.willRetry);

/** `[##########----------]  3/5 agents done  62%  $0.0123 of $5.00`: one line, redrawn in place. */
export function progressLine(swarm: SwarmResponse, agents: AgentResponse[]): string {
  const done = agents.filter(ended).length;
  const percent =
    agents.length === 0
      ? 0
      : agents.reduce((n, a) => n + (ended(a) ? 100 : a.progress.percentage), 0) / agents.length;
  const { spent, allocated, currency } = swarm.budget;
  return `${bar(percent, 20)}  ${done}/${agents.length} agents done  ${money(spent, currency)} of ${money(allocated, currency)}  ${status(swarm.status)}`;
}

/**
 * Waits for a swarm to finish, drawing its progress (in place on a terminal, a line per change
 * otherwise, nothing with --json), and returns it finished. Polls: a CLI that waits minutes needs
 * no event stream, and a poll survives a server restart.
 */
export async function waitForSwarm(
  client: DashClient,
  id: string,
  options: { quiet: boolean; everyMs?: number; write?: (s: string) => void },
): Promise<SwarmResponse> {
  const write = options.write ?? ((s: string) => process.stderr.write(s));
  const tty = process.stderr.isTTY === true;
  let last = "";
  for (;;) {
    const swarm = await client.getSwarm(id);
    const line = progressLine(swarm, await client.allAgents({ swarmId: id }));
    if (!options.quiet && line !== last) write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
    last = line;
    if (FINISHED.has(swarm.status)) {
      if (!options.quiet && tty) write("\n");
      return swarm;
    }
    await Bun.sleep(options.everyMs ?? 300);
  }
}

/** The end of `--wait`: the result, and every failure. */
export function finishedSwarm(swarm: SwarmResponse): string {
  const mark = swarm.status === "completed" ? green("✓") : red("✗");
  const lines = [
    `${mark} swarm ${bold(swarm.name)} ${status(swarm.status)}: ${money(swarm.budget.spent, swarm.budget.currency)} spent`,
  ];
  const outcome = swarm.outcome;
  if (outcome)
    lines.push(
      dim(`agents: ${outcome.completed} completed, ${outcome.failed} failed, ${outcome.killed} killed`),
    );
  for (const f of outcome?.failures ?? []) lines.push(red(`  ✗ ${f.name}: ${f.message}`));
  lines.push(
    `${bold("result:")} ${typeof swarm.result === "string" ? swarm.result : JSON.stringify(swarm.result, null, 2)}`,
  );
  return lines.join("\n");
}
