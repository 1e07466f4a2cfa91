import type { DashClient } from "../client/client.ts";
import { EventStream } from "../client/events.ts";
import type { AgentResponse } from "../domain/agent.ts";
import { DashError } from "../domain/errors.ts";
import type { DashEvent } from "../domain/event.ts";
import type { SwarmResponse } from "../domain/swarm.ts";
import { cyan, dim, green, red } from "./style.ts";

/** Following one swarm's agents live in the terminal, a line per step (`dash demo`). */
const willRetry = (e: DashEvent) => (e.data.error as { willRetry?: unknown } | undefined)?.willRetry === true;
const MARKS: Partial<Record<DashEvent["type"], () => string>> = {
  "agent.started": () => cyan("started"),
  "agent.completed": () => green("✓ completed"),
  "agent.killed": () => red("✗ killed"),
};
type StepData = {
  progress?: { percentage: number };
  cost?: { amount: number };
  error?: { message?: string };
};

/** One line per agent step: `12:00:01  demo-1  #####----- 50%  $0.0012 (demo)`. */
function describe(e: DashEvent, name: string): string | null {
  const at = `${dim(e.timestamp.slice(11, 19))}  ${name}  `;
  const data = e.data as StepData;
  const mark = MARKS[e.type];
  if (mark) return at + mark();
  if (e.type === "agent.failed")
    return at + red(`✗ failed: ${data.error?.message ?? ""}${willRetry(e) ? " (retrying)" : ""}`);
  if (e.type !== "agent.progress" || !data.progress) return null;
  const pct = Math.round(data.progress.percentage);
  const done = green("#".repeat(Math.round(pct / 10))) + dim("-".repeat(10 - Math.round(pct / 10)));
  return `${at}${done} ${String(pct).padStart(3)}%  ${dim(`$${(data.cost?.amount ?? 0).toFixed(4)} (demo)`)}`;
}

/**
 * Follows a swarm live until every agent is finished (or the swarm is destroyed, or `signal`
 * aborts), printing a line per step. One function on purpose: the dashboard will take its place.
 */
export function followSwarm(
  client: DashClient,
  swarm: SwarmResponse,
  agents: AgentResponse[],
  print: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const names = new Map(agents.map((a) => [a.id, a.name]));
  const finished = new Map(agents.map((a) => [a.id, false]));
  const width = Math.max(...agents.map((a) => a.name.length));
  return new Promise((done, fail) => {
    const finish = () => {
      stream.stop();
      signal.removeEventListener("abort", finish);
      done();
    };
    const stream = new EventStream({
      connection: client.connection,
      filter: ["agent.*", "swarm.*"],
      // Replays from just before the swarm was made (server time), so no step is missed.
      since: new Date(Date.parse(swarm.createdAt) - 1000).toISOString(),
      onEvent(e) {
        if (e.data.swarmId !== swarm.id) return;
        const id = String(e.data.agentId ?? "");
        if (e.type === "agent.spawned") names.set(id, String(e.data.name));
        const line = describe(e, (names.get(id) ?? id).padEnd(width));
        if (line) print(line);
        const final = ["agent.completed", "agent.killed"].includes(e.type);
        if (id) finished.set(id, final || (e.type === "agent.failed" && !willRetry(e)));
        const over = e.type === "swarm.destroyed" || e.type === "swarm.failed";
        if (over || [...finished.values()].every(Boolean)) finish();
      },
      onStatus(s) {
        if (s.state !== "fatal") return;
        stream.stop();
        fail(new DashError(s.code === 4401 ? "UNAUTHORIZED" : "VALIDATION_ERROR", `events: ${s.reason}`));
      },
    });
    if (signal.aborted) return done();
    signal.addEventListener("abort", finish);
    stream.start();
  });
}
