import { z } from "zod";
import { agentDiff } from "../../core/worktree-agents.ts";
import { notFound } from "../../domain/errors.ts";
import { FINISHED_AGENT_STATUSES } from "../../domain/states.ts";
import { AgentDiffSchema, AgentLogsSchema } from "../../domain/wire.ts";
import { LogReader } from "../../runtimes/log-reader.ts";
import { readLogTail } from "../../runtimes/log-tail.ts";
import { runFiles } from "../../runtimes/run-files.ts";
import { type ApiDeps, defineRoute } from "../route.ts";

const LogsQuery = z.strictObject({
  tail: z.coerce.number().int().min(0).max(10_000).default(100),
  /** Byte offset from an earlier answer: only what came after it (for polling clients). */
  after: z.coerce.number().int().min(0).optional(),
  follow: z.enum(["true", "false"]).default("false"),
});

const FOLLOW_POLL_MS = 200;

/** The log as text as it grows, until the agent is finished or the client goes away. */
function follow(deps: ApiDeps, agentId: string, path: string, from: number, first: string[]): Response {
  let timer: ReturnType<typeof setInterval> | undefined;
  const reader = new LogReader(path, from);
  const stream = new ReadableStream<string>({
    start(controller) {
      if (first.length > 0) controller.enqueue(`${first.join("\n")}\n`);
      timer = setInterval(async () => {
        const agent = await deps.store.getAgent(agentId);
        const done = !agent || FINISHED_AGENT_STATUSES.has(agent.status);
        const lines = reader.read(done);
        if (lines.length > 0) controller.enqueue(`${lines.map((l) => l.text).join("\n")}\n`);
        if (!done) return;
        clearInterval(timer);
        reader.close();
        controller.close();
      }, FOLLOW_POLL_MS);
    },
    cancel() {
      clearInterval(timer);
      reader.close();
    },
  });
  return new Response(stream, { headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

export const logRoutes = [
  defineRoute({
    method: "GET",
    path: "/api/agents/:id/diff",
    permission: "read",
    summary:
      "What a worktree agent (swarm config.repo) changed against where its branch started, as git diff text",
    response: AgentDiffSchema,
    async handler({ params, deps }) {
      const agent = await deps.store.getAgent(params.id as string);
      if (!agent) throw notFound("agent", params.id as string);
      return agentDiff(deps.store, deps.home, agent);
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/agents/:id/logs",
    permission: "read",
    summary:
      "An agent's output (stdout and stderr, all attempts): the last `tail` lines, or what came `after` a byte offset; `follow=true` streams text until the agent finishes",
    query: LogsQuery,
    response: AgentLogsSchema,
    async handler({ params, query, deps, request, server }) {
      const id = params.id as string;
      const agent = await deps.store.getAgent(id);
      if (!agent) throw notFound("agent", id);
      const path = runFiles(deps.home, id, 0).log;
      const finished = FINISHED_AGENT_STATUSES.has(agent.status);
      if (query.after !== undefined) {
        const reader = new LogReader(path, query.after);
        const lines = reader.read(finished);
        reader.close();
        return {
          agentId: id,
          lines: lines.map((l) => l.text),
          offset: lines.at(-1)?.end ?? query.after,
          finished,
        };
      }
      const { lines, size } = readLogTail(path, query.tail);
      if (query.follow === "false") return { agentId: id, lines, offset: size, finished };
      server.timeout(request, 0);
      return follow(deps, id, path, size, lines);
    },
  }),
];
