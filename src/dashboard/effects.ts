import type { CallLister } from "./hooks/use-agent-calls.ts";
import type { LogReader } from "./hooks/use-log-tail.ts";
import type { Effect, Verb } from "./keybindings.ts";
import type { DashboardStore } from "./model/store.ts";

/** What the dashboard asks of the server besides the feed: the feed implements it. */
export interface DashboardActions {
  kill: (agentId: string) => Promise<void>;
  refresh: () => Promise<void>;
  /** Approves or denies a pending approval request (a merge one with the side to keep); the outcome is the notice line. */
  answer: (approvalId: string, verb: Verb, choice?: string) => Promise<void>;
  readLog: LogReader;
  /** The selected agent's newest model calls, for its details; without it they show none. */
  listCalls?: CallLister;
}

/** Does what a key asked for (keybindings.ts decides, this performs). */
export function perform(
  effect: Effect | undefined,
  { actions, store, onQuit }: { actions: DashboardActions; store: DashboardStore; onQuit: () => void },
): void {
  if (effect?.type === "quit") onQuit();
  if (effect?.type === "kill") void actions.kill(effect.agentId);
  if (effect?.type === "answer") void actions.answer(effect.approvalId, effect.verb, effect.choice);
  if (effect?.type === "notice") store.setNotice(effect.text);
  if (effect?.type === "refresh") {
    actions.refresh().then(
      () => store.setNotice("refreshed"),
      (error: Error) => store.setNotice(`refresh failed: ${error.message}`),
    );
  }
}
