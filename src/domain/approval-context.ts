import { z } from "zod";
import { LIMITS } from "./limits.ts";

/**
 * What the server gathers for the person who answers an approval (issue 27), when the request is
 * made: it is stored with the request and sent in its `approval.requested` (and `approval.escalated`)
 * event, so a notification alone is enough to decide. Bounded: it is stored twice, like `details`.
 */

/** What an unanswered request comes to at its deadline: denied, approved, or its agent killed. */
export const TimeoutActionSchema = z.enum(["deny", "approve", "kill"]);
export type TimeoutAction = z.infer<typeof TimeoutActionSchema>;

/** config.yaml `approvals`: the default timeout action, and when an unanswered request is escalated. */
export interface ApprovalSettings {
  onTimeout: TimeoutAction;
  /** Seconds unanswered after which `approval.escalated` fires (once); unset: never. */
  escalateAfter?: number;
}

export const CONTEXT_BOUNDS = {
  /** Of the agent's (or swarm's) task: the start says what it was asked. */
  task: 2000,
  /** The last lines of the agent's output log, each cut as a failed agent's are. */
  logLines: 20,
  lastLine: LIMITS.lastLine,
  /** Files changed in its worktree; the rest is counted in `filesMore`. */
  files: 30,
  path: 200,
  /** The whole context serialized: older log lines are dropped until it fits. */
  bytes: LIMITS.details.bytes,
} as const;

const Cost = z.object({ costUsd: z.number() });

export const ApprovalContextSchema = z.object({
  /** The agent's task, or the swarm's for a request about a swarm (cut to CONTEXT_BOUNDS.task). */
  task: z.string().nullable(),
  agent: Cost.extend({ id: z.string(), name: z.string(), status: z.string() }).nullable(),
  /** Its swarm's spend: in USD (its budget's, or its agents' when the budget counts tokens). */
  swarm: Cost.extend({ id: z.string(), name: z.string(), status: z.string() }).nullable(),
  /** The last lines of the agent's output log, oldest first. */
  log: z.array(z.string()),
  /** What the agent changed in its git worktree against where its branch started (absent without one). */
  files: z
    .array(
      z.object({
        path: z.string(),
        insertions: z.number().int(),
        deletions: z.number().int(),
        /** Not known to git yet: its lines are not counted. */
        untracked: z.boolean().optional(),
      }),
    )
    .optional(),
  filesMore: z.number().int().optional(),
  /** What happens if nobody answers, and when. */
  onTimeout: z.object({ action: TimeoutActionSchema, at: z.iso.datetime() }),
  /** The commands that answer it. */
  answer: z.object({ approve: z.string(), deny: z.string() }),
});
export type ApprovalContext = z.infer<typeof ApprovalContextSchema>;

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * The context within CONTEXT_BOUNDS: long texts cut; then, while it is still too big, the oldest
 * log line dropped, then the last file (counted in `filesMore`), then the task cut short.
 */
export function boundContext(context: ApprovalContext): ApprovalContext {
  const b: ApprovalContext = {
    ...context,
    task: context.task === null ? null : cut(context.task, CONTEXT_BOUNDS.task),
    log: context.log.slice(-CONTEXT_BOUNDS.logLines).map((l) => cut(l, CONTEXT_BOUNDS.lastLine)),
  };
  if (context.files) {
    b.files = context.files
      .slice(0, CONTEXT_BOUNDS.files)
      .map((f) => ({ ...f, path: cut(f.path, CONTEXT_BOUNDS.path) }));
    b.filesMore = (context.filesMore ?? 0) + context.files.length - b.files.length;
  }
  const tooBig = () => Buffer.byteLength(JSON.stringify(b)) > CONTEXT_BOUNDS.bytes;
  while (tooBig() && b.log.length > 0) b.log = b.log.slice(1);
  while (tooBig() && b.files?.length) {
    b.files = b.files.slice(0, -1);
    b.filesMore = (b.filesMore ?? 0) + 1;
  }
  if (tooBig() && b.task) b.task = cut(b.task, 100);
  return b;
}
