import { useMemo } from "react";
import type { DashboardFeed } from "../../dashboard/model/feed.ts";
import { mergeNotice } from "../../dashboard/model/merge-ask.ts";
import type { AgentActionHandlers } from "../components/agent-actions.tsx";
import type { ApprovalHandlers } from "../components/approvals-view.tsx";
import type { SwarmActionHandlers } from "../components/swarm-view.tsx";
import type { Actions } from "./use-actions.ts";

export interface Handlers {
  agent: AgentActionHandlers;
  swarm: SwarmActionHandlers;
  approval: ApprovalHandlers;
}

/**
 * What each button does, through the feed's client: pause, resume and scale at once (each is undone
 * by another), kill, destroy, merge and every answer after a yes in the dialog. Null when the key
 * may not act: the page shows no buttons then.
 */
export function useHandlers(feed: DashboardFeed, actions: Actions, canAct: boolean): Handlers | null {
  const { client } = feed;
  const { ask, now } = actions;
  return useMemo(() => {
    if (!canAct) return null;
    const agent: AgentActionHandlers = {
      pause: (a) => now(async () => `paused ${(await client.pauseAgent(a.id)).name}`),
      resume: (a) => now(async () => `resumed ${(await client.resumeAgent(a.id)).name}`),
      kill: (a) =>
        ask({
          title: `Kill ${a.name}?`,
          body: "Its process is stopped and it ends as killed; this cannot be undone.",
          confirm: "Kill",
          danger: true,
          run: async () => `killed ${(await client.killAgent(a.id)).name}`,
        }),
    };
    const swarm: SwarmActionHandlers = {
      pause: (s) => now(async () => `paused swarm ${(await client.pauseSwarm(s.id)).name}`),
      resume: (s) => now(async () => `resumed swarm ${(await client.resumeSwarm(s.id)).name}`),
      scale: (s, target) =>
        now(async () => `scaling ${(await client.scaleSwarm(s.id, target)).name} to ${target}`),
      destroy: (s) =>
        ask({
          title: `Destroy swarm ${s.name}?`,
          body: `Its ${s.agentCount} agents are killed and the swarm ends; this cannot be undone.`,
          confirm: "Destroy",
          danger: true,
          run: async () => {
            await client.destroySwarm(s.id);
            return `destroyed swarm ${s.name}`;
          },
        }),
      merge: (s) =>
        ask({
          title: `Merge swarm ${s.name}'s branches?`,
          body: "Its completed agents' branches are merged in a scratch worktree; a conflict asks which side to keep.",
          confirm: "Merge",
          danger: false,
          run: async () => mergeNotice(await client.mergeSwarm(s.id)),
        }),
    };
    const answer = async (id: string, verb: "approve" | "deny", choice?: string) => {
      await feed.answer(id, verb, choice);
      return null;
    };
    const approval: ApprovalHandlers = {
      approve: (a, choice) =>
        ask({
          title: choice ? `Keep ${choice} in this merge?` : `Approve "${a.title}"?`,
          body: choice
            ? "The merge goes on with this side's version of the files both changed."
            : "The agent goes on.",
          confirm: choice ? `Keep ${choice}` : "Approve",
          danger: false,
          run: () => answer(a.id, "approve", choice),
        }),
      deny: (a) =>
        ask({
          title: `Deny "${a.title}"?`,
          body: "The agent is told no.",
          confirm: "Deny",
          danger: true,
          run: () => answer(a.id, "deny"),
        }),
    };
    return { agent, swarm, approval };
  }, [feed, client, ask, now, canAct]);
}
