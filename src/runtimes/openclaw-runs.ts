import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { GatewayLink } from "./openclaw-link.ts";

/** The run book's file name in the agent's working folder (never committed to a worktree branch). */
export const RUN_BOOK = ".dash-openclaw.json";

/** Tokens and micro-dollars: what a run cost, or what Dash has recorded for the agent. */
export interface Spent {
  promptTokens: number;
  completionTokens: number;
  micros: number;
}
export const NOTHING: Spent = { promptTokens: 0, completionTokens: 0, micros: 0 };

export interface RunEntry {
  /** The run's idempotency key, which the gateway also uses as its runId. */
  key: string;
  outcome?: "ok" | "error";
}

/**
 * The runs this agent started on the gateway, kept in its workspace (which outlives attempts).
 * A key is written BEFORE the run is asked for, so an attempt that replaces a lost one sends the
 * same key again and the gateway answers with that run instead of starting a second one.
 */
export class RunBook {
  private readonly path: string;
  readonly runs: RunEntry[];

  constructor(dir: string) {
    this.path = join(dir, RUN_BOOK);
    this.runs = existsSync(this.path) ? (JSON.parse(readFileSync(this.path, "utf8")).runs as RunEntry[]) : [];
  }

  /** The run to follow: the last one if it has not ended, else a new key. */
  current(agentId: string): { entry: RunEntry; fresh: boolean } {
    const last = this.runs.at(-1);
    if (last && last.outcome === undefined) return { entry: last, fresh: false };
    return { entry: this.next(agentId), fresh: true };
  }

  /**
   * A resume's continuation, written by the server while the agent's process is stopped: the run
   * it was on ended (aborted by the pause), the new key is the one the process follows next.
   */
  continuation(agentId: string): RunEntry {
    const last = this.runs.at(-1);
    if (last && last.outcome === undefined) last.outcome = "error";
    return this.next(agentId);
  }

  /** The newest run, if it is not `entry` and has not ended (a continuation to follow). */
  after(entry: RunEntry): RunEntry | null {
    const last = this.runs.at(-1);
    return last && last.key !== entry.key && last.outcome === undefined ? last : null;
  }

  private next(agentId: string): RunEntry {
    const entry = { key: `dash-${agentId}-${this.runs.length + 1}` };
    this.runs.push(entry);
    this.save();
    return entry;
  }

  end(entry: RunEntry, outcome: "ok" | "error"): void {
    entry.outcome = outcome;
    this.save();
  }

  private save(): void {
    writeFileSync(`${this.path}.tmp`, JSON.stringify({ runs: this.runs }));
    renameSync(`${this.path}.tmp`, this.path);
  }
}

interface HistoryMessage {
  role?: string;
  usage?: { input?: number; output?: number; cost?: { total?: number } };
  __openclaw?: { runId?: string };
}

const count = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/**
 * What the given runs cost, exactly as the gateway priced them: the sum of the usage of their
 * assistant messages in the session's history (`input` → prompt, `output` → completion).
 * `sessions.describe` is no help here: it shows the last run only.
 */
export async function runsSpent(link: GatewayLink, sessionKey: string, runIds: Set<string>): Promise<Spent> {
  const spent = { ...NOTHING };
  let cursor: unknown;
  for (let page = 0; page < 100; page++) {
    const history = await link.request<{ messages?: HistoryMessage[]; hasMore?: boolean; cursor?: unknown }>(
      "chat.history",
      { sessionKey, limit: 500, ...(cursor ? { cursor } : {}) },
    );
    for (const message of history.messages ?? []) {
      if (message.role !== "assistant" || !runIds.has(message.__openclaw?.runId ?? "")) continue;
      spent.promptTokens += count(message.usage?.input);
      spent.completionTokens += count(message.usage?.output);
      spent.micros += Math.round(count(message.usage?.cost?.total) * 1e6);
    }
    if (!history.hasMore || !history.cursor) break;
    cursor = history.cursor;
  }
  return spent;
}

/**
 * What Dash has already recorded for this agent (an earlier attempt's reports), read with the
 * agent's own key, so reports stay exact across attempts: each says only what Dash lacks.
 */
export async function recordedByDash(env: Record<string, string | undefined>): Promise<Spent> {
  const { DASH_URL, DASH_AGENT_ID, DASH_AGENT_TOKEN } = env;
  if (!DASH_URL || !DASH_AGENT_ID || !DASH_AGENT_TOKEN) return NOTHING;
  const response = await fetch(`${DASH_URL.replace(/\/+$/, "")}/api/agents/${DASH_AGENT_ID}`, {
    headers: { authorization: `Bearer ${DASH_AGENT_TOKEN}` },
  });
  if (!response.ok)
    throw new Error(`Dash did not say what this agent spent so far (HTTP ${response.status})`);
  const { cost } = (await response.json()) as {
    cost: { promptTokens: number; completionTokens: number; amount: number };
  };
  return {
    promptTokens: cost.promptTokens,
    completionTokens: cost.completionTokens,
    micros: Math.round(cost.amount * 1e6),
  };
}

/** What `total` has beyond `recorded`, never negative. */
export function beyond(total: Spent, recorded: Spent): Spent {
  return {
    promptTokens: Math.max(0, total.promptTokens - recorded.promptTokens),
    completionTokens: Math.max(0, total.completionTokens - recorded.completionTokens),
    micros: Math.max(0, total.micros - recorded.micros),
  };
}
