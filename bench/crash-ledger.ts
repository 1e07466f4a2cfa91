/**
 * The crash loop's client side: concurrent workers that create swarms and agents, scale, kill,
 * allocate and report usage against a live `dash serve`, and a ledger of what the server
 * acknowledged (a 2xx answer) and what was still in flight when it died (may or may not be there).
 */

/** Agents print this many usage reports on stdout, $0.001 each; HTTP reports are $0.1 each. */
export const STEPS = 3;
export const STEP_MICROS = 1_000;
export const HTTP_MICROS = 100_000;
export const INITIAL_BUDGET_USD = 1_000;

/** A command agent: reports on stdout, ingested from its log, exactly once across server crashes. */
const STEP = `echo '{"dash":"usage","promptTokens":1,"completionTokens":1,"costUsd":0.001}'`;
export const AGENT_COMMAND = ["sh", "-c", `for i in 1 2 3; do ${STEP}; sleep 0.2; done`];

/** Acknowledged (2xx) and in-flight counts; a refusal (4xx) takes the in-flight one back. */
export interface Tally {
  ack: number;
  maybe: number;
}
const tally = (): Tally => ({ ack: 0, maybe: 0 });

export interface SwarmEntry {
  /** Rows the swarm must have: its acknowledged initialAgents and scale targets. */
  minAgents: number;
  /** Allocations on top of the initial budget, in micro-USD. */
  allocated: Tally;
}
export interface AgentEntry {
  swarmId: string;
  /** HTTP usage reports of HTTP_MICROS each. */
  http: Tally;
  /** Whether a kill of it was acknowledged. */
  killed: boolean;
}

export class Ledger {
  readonly swarms = new Map<string, SwarmEntry>();
  readonly agents = new Map<string, AgentEntry>();
  /** The keys of both maps as arrays, for picking at random without copying them at every pick. */
  readonly swarmIds: string[] = [];
  readonly agentIds: string[] = [];
  readonly counts = { requests: 0, acknowledged: 0, refused: 0, lost: 0 };
  /** Refusals by "METHOD path-kind status", to see that they are the expected ones (409 on a finished agent). */
  readonly refusals = new Map<string, number>();

  /** A deterministic PRNG (mulberry32) so a seed replays the same choice of operations. */
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(max: number): number {
    return Math.floor(this.random() * max);
  }
  pick<T>(items: T[]): T | undefined {
    return items[this.int(items.length)];
  }
  learnSwarm(id: string, initialAgents: number): void {
    this.swarms.set(id, { minAgents: initialAgents, allocated: tally() });
    this.swarmIds.push(id);
  }
  learnAgent(id: string, swarmId: string): AgentEntry {
    const known = this.agents.get(id);
    if (known) return known;
    const entry = { swarmId, http: tally(), killed: false };
    this.agents.set(id, entry);
    this.agentIds.push(id);
    return entry;
  }
}

type Send = (method: string, path: string, body?: unknown) => Promise<{ status: number; json: unknown }>;

/** One operation; `settle(ok)` runs with whether the server acknowledged it. */
async function attempt(ledger: Ledger, send: Send, method: string, path: string, body: unknown) {
  ledger.counts.requests++;
  const result = await send(method, path, body).catch(() => null);
  if (!result) ledger.counts.lost++;
  else if (result.status < 300) ledger.counts.acknowledged++;
  else {
    ledger.counts.refused++;
    const kind = `${method} ${path.replace(/[0-9A-Z]{26}/g, ":id").replace(/\?.*/, "")} ${result.status}`;
    ledger.refusals.set(kind, (ledger.refusals.get(kind) ?? 0) + 1);
  }
  return result;
}

/** Does one random operation against the server, recording what it was told. */
export async function randomOperation(ledger: Ledger, send: Send): Promise<void> {
  const roll = ledger.random();
  const swarmId = ledger.pick(ledger.swarmIds);
  const agentId = ledger.pick(ledger.agentIds);
  const swarm = swarmId ? ledger.swarms.get(swarmId) : undefined;
  const agent = agentId ? ledger.agents.get(agentId) : undefined;
  if (roll < 0.15 || !swarmId || !swarm) {
    const initialAgents = 1 + ledger.int(2);
    const config = { command: AGENT_COMMAND, maxRetries: 0, timeout: 60_000 };
    const body = {
      name: `crash-${ledger.int(1e6)}`,
      task: "t",
      initialAgents,
      budget: { amount: INITIAL_BUDGET_USD },
      config,
    };
    const res = await attempt(ledger, send, "POST", "/api/swarm", body);
    const id = (res?.json as { id?: string } | undefined)?.id;
    if (res && res.status === 201 && id) ledger.learnSwarm(id, initialAgents);
    return;
  }
  if (roll < 0.3) {
    const res = await attempt(ledger, send, "POST", "/api/agents", { swarmId, task: "t" });
    const id = (res?.json as { id?: string } | undefined)?.id;
    if (res && res.status === 201 && id) ledger.learnAgent(id, swarmId);
    return;
  }
  if (roll < 0.65 && agentId && agent) {
    agent.http.maybe++;
    const body = { promptTokens: 10, completionTokens: 5, costUsd: HTTP_MICROS / 1e6 };
    const res = await attempt(ledger, send, "POST", `/api/agents/${agentId}/usage`, body);
    if (!res) return;
    agent.http.maybe--;
    if (res.status < 300) agent.http.ack++;
    return;
  }
  if (roll < 0.75) {
    const target = ledger.int(4);
    const res = await attempt(ledger, send, "POST", `/api/swarm/${swarmId}/scale`, { target });
    if (res && res.status < 300) swarm.minAgents = Math.max(swarm.minAgents, target);
    return;
  }
  if (roll < 0.83 && agentId && agent) {
    const res = await attempt(ledger, send, "DELETE", `/api/agents/${agentId}`, {});
    if (res && res.status < 300) agent.killed = true;
    return;
  }
  if (roll < 0.93) {
    const micros = (1 + ledger.int(5)) * 1_000_000;
    swarm.allocated.maybe += micros;
    const res = await attempt(ledger, send, "POST", "/api/budget/allocate", {
      swarmId,
      amount: micros / 1e6,
    });
    if (!res) return;
    swarm.allocated.maybe -= micros;
    if (res.status < 300) swarm.allocated.ack += micros;
    return;
  }
  // A read, which also teaches the ledger the ids of agents that scale and swarm creation made.
  const res = await attempt(ledger, send, "GET", `/api/agents?swarmId=${swarmId}&limit=100`, undefined);
  const listed = (res?.json as { agents?: { id: string }[] } | undefined)?.agents ?? [];
  for (const a of listed) ledger.learnAgent(a.id, swarmId);
}
