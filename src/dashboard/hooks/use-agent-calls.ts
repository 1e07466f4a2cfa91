import { useEffect, useRef, useState } from "react";
import type { AgentResponse } from "../../domain/agent.ts";
import type { ModelCallResponse } from "../../domain/model-call.ts";
import type { AgentCalls } from "../model/calls.ts";

/** The newest `limit` model calls of an agent (GET /api/agents/:id/calls). */
export type CallLister = (
  agentId: string,
  limit: number,
) => Promise<{ calls: ModelCallResponse[]; nextCursor: string | null }>;

export interface CallsTiming {
  /** How often to look again while the agent runs: calls in flight send no event until they end. */
  everyMs?: number;
  /** The least time between two loads, however fast its usage events arrive. */
  gapMs?: number;
  limit?: number;
}

interface Loader {
  request: () => void;
  stop: () => void;
}

/**
 * Coalesces requests to load: requests in the same tick are one load, at most one is in flight,
 * loads start at least `gapMs` apart, and a request during a load gets one more after it (what
 * it asked about may have happened after that load read).
 */
function coalesce(load: () => Promise<void>, gapMs: number): Loader {
  let pending = false;
  let busy = false;
  let stopped = false;
  let last = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    timer = undefined;
    if (stopped || busy || !pending) return;
    pending = false;
    busy = true;
    last = Date.now();
    void load().finally(() => {
      busy = false;
      if (pending) schedule();
    });
  };
  const schedule = () => {
    if (!stopped && !timer) timer = setTimeout(run, Math.max(0, last + gapMs - Date.now()));
  };
  return {
    request: () => {
      pending = true;
      if (!busy) schedule();
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/**
 * The selected agent's recent model calls, or null (none selected, no lister, the details not shown, or an
 * agent whose spend comes from its reports: it makes no calls through the gateway). Loaded when
 * selected, again when its usage or status changes (an `agent.usage` moves its totals, an
 * `agent.killed` its status: watching the agent row is the same signal as watching the event log,
 * without scanning it), and every `everyMs` while it runs. Only the selected agent is ever loaded.
 */
export function useAgentCalls(
  list: CallLister | undefined,
  agent: AgentResponse | null,
  active: boolean,
  { everyMs = 5000, gapMs = 1000, limit = 50 }: CallsTiming = {},
): AgentCalls | null {
  const [page, setPage] = useState<(AgentCalls & { agentId: string }) | null>(null);
  const loader = useRef<Loader | null>(null);
  const agentId = active && agent && agent.metering !== "reports" ? agent.id : null;
  const stamp = agent ? `${agent.status} ${agent.cost.totalTokens} ${agent.cost.amount}` : "";
  const live = agent?.status === "running";

  useEffect(() => {
    if (!agentId || !list) return;
    let stopped = false;
    const load = async () => {
      try {
        const { calls, nextCursor } = await list(agentId, limit);
        if (!stopped) setPage({ agentId, calls, more: nextCursor !== null });
      } catch {
        // The server is away: the header says so; the calls shown stay until the next load.
      }
    };
    const own = coalesce(load, gapMs);
    loader.current = own;
    own.request();
    return () => {
      stopped = true;
      own.stop();
      if (loader.current === own) loader.current = null;
    };
  }, [list, agentId, limit, gapMs]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the stamp is the trigger, not an input
  useEffect(() => {
    loader.current?.request();
  }, [stamp]);

  useEffect(() => {
    if (!live || !agentId) return;
    const timer = setInterval(() => loader.current?.request(), everyMs);
    return () => clearInterval(timer);
  }, [live, agentId, everyMs]);

  // A page of the agent selected before stays hidden until this one's arrives.
  return page && page.agentId === agentId ? page : null;
}
