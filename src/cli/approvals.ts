import { defineCommand } from "citty";
import { askApproval } from "../client/approval-rules.ts";
import type { ApprovalResponse } from "../domain/approval.ts";
import { TimeoutActionSchema } from "../domain/approval-context.ts";
import { ruleCommand } from "./approval-rules.ts";
import { showCommand } from "./approval-show.ts";
import { age, clientArgs, clientFor, numberArg, output, UsageError } from "./common.ts";
import { EXIT } from "./run.ts";
import { bold, cyan, dim, green, red, table, yellow } from "./style.ts";
import { describeMerge } from "./swarm-branches.ts";

/**
 * `dash approvals`: the questions agents and budgets ask people. Pending ones are listed by
 * default, `--all` is the history (who answered, when, why); `show` prints what the server gathered
 * to decide on; `approve`/`deny` answer; `request` asks (from inside an agent it asks for that
 * agent, with its DASH_AGENT_TOKEN) and with --wait exits 0 when approved, 1 when denied or timed
 * out; `rule` keeps standing answers.
 */

const paint = { pending: yellow, approved: green, denied: red } as const;

function describe(a: ApprovalResponse): string {
  const who = a.agentId ? `agent ${a.agentId}` : a.swarmId ? `swarm ${a.swarmId}` : "Dash";
  const then = a.onTimeout ? `, then ${a.onTimeout}` : "";
  const how =
    a.status === "pending" ? `expires ${a.expiresAt.slice(11, 19)} UTC${then}` : `by ${a.resolvedBy}`;
  const why = a.reason ? ` · ${a.reason}` : "";
  return `${paint[a.status](a.status)} ${bold(a.title)} ${dim(`${a.id} · ${a.kind} · ${who} · ${how}${why}`)}`;
}

const listArgs = {
  all: { type: "boolean", description: "Answered ones too" },
  swarm: { type: "string", description: "Only this swarm's" },
  ...clientArgs,
} as const;

const list = defineCommand({
  meta: { name: "list", description: "List approval requests (pending ones unless --all)" },
  args: listArgs,
  async run({ args }) {
    const { approvals } = await clientFor(args).listApprovals({
      status: args.all ? undefined : "pending",
      swarmId: args.swarm,
    });
    output(args, { approvals }, () => {
      if (approvals.length === 0)
        return dim(args.all ? "No approval requests." : "Nothing waits for an answer.");
      const rows = approvals.map((a) => [
        a.id,
        `${paint[a.status](a.status)}${a.escalatedAt ? yellow("!") : ""}`,
        a.kind,
        a.agentId ?? a.swarmId ?? "-",
        a.title,
        ...(args.all ? history(a) : [deadline(a), age(a.createdAt)]),
      ]);
      const tail = args.all ? ["BY", "WHEN", "WHY"] : ["EXPIRES", "AGE"];
      return table(["ID", "STATUS", "KIND", "FOR", "QUESTION", ...tail], rows);
    });
  },
});

/** "in 5m, then deny": when a pending request times out and what that does. */
const deadline = (a: ApprovalResponse) =>
  `in ${age(new Date().toISOString(), Date.parse(a.expiresAt))}${a.onTimeout ? `, then ${a.onTimeout}` : ""}`;

/** Who answered (a key id, "timeout" or "rule:<id>"), when, and why; a pending one's deadline. */
function history(a: ApprovalResponse): string[] {
  if (a.status === "pending" || !a.resolvedAt) return ["-", deadline(a), "-"];
  return [a.resolvedBy ?? "-", `${a.resolvedAt.slice(0, 19).replace("T", " ")} UTC`, a.reason ?? "-"];
}

function answer(verb: "approve" | "deny") {
  return defineCommand({
    meta: { name: verb, description: `${verb === "approve" ? "Approve" : "Deny"} a pending request` },
    args: {
      id: { type: "positional", required: true, description: "Approval id" },
      reason: { type: "string", description: "Why (kept with the answer)" },
      ...(verb === "approve"
        ? { choice: { type: "string", description: "A merge conflict's side to keep (an agent's name)" } }
        : {}),
      ...clientArgs,
    },
    async run({ args }) {
      const choice = (args as { choice?: string }).choice;
      const answered = await clientFor(args).answerApproval(args.id, verb, args.reason, choice);
      output(args, answered, () =>
        [
          `${green("✓")} ${describe(answered)}`,
          ...(answered.merge ? [describeMerge(answered.merge)] : []),
        ].join("\n"),
      );
      if (answered.merge?.status === "conflict") process.exitCode = EXIT.failure;
    },
  });
}

const request = defineCommand({
  meta: {
    name: "request",
    description: "Ask for an approval (inside an agent: for that agent, which waits paused)",
  },
  args: {
    title: { type: "positional", required: true, description: 'The question, e.g. "Deploy to production?"' },
    agent: {
      type: "string",
      description: "The agent it is about (default: DASH_AGENT_ID's, with its token)",
    },
    timeout: { type: "string", description: "Seconds before its timeout applies (default 900)" },
    "on-timeout": {
      type: "string",
      description: "What the timeout does: deny, approve or kill (default: the server's approvals.onTimeout)",
    },
    wait: { type: "boolean", description: "Wait for the answer: exit 0 if approved, 1 if denied" },
    ...clientArgs,
  },
  async run({ args }) {
    const client = clientFor(args);
    const onTimeout = args["on-timeout"];
    if (onTimeout !== undefined && !TimeoutActionSchema.safeParse(onTimeout).success)
      throw new UsageError(`--on-timeout must be deny, approve or kill, got "${onTimeout}"`);
    const asked = await askApproval(client, {
      title: args.title,
      agentId: args.agent,
      timeoutSeconds: numberArg("--timeout", args.timeout, { integer: true, min: 1 }),
      onTimeout: onTimeout as ApprovalResponse["onTimeout"],
    });
    if (!args.wait) return output(args, asked, () => `${cyan("?")} ${describe(asked)}`);
    if (!args.json)
      process.stderr.write(`${cyan("?")} ${describe(asked)}\n${dim("waiting for an answer…")}\n`);
    let current = asked;
    while (current.status === "pending") current = await client.getApproval(asked.id, 60);
    output(args, current, () => describe(current));
    if (current.status !== "approved") process.exitCode = EXIT.failure;
  },
});

export default defineCommand({
  meta: { name: "approvals", description: "List, answer and ask approval requests" },
  // The list's flags here too, so `dash approvals --url …` finds no subcommand in their values.
  args: listArgs,
  default: "list",
  subCommands: {
    list,
    show: showCommand,
    approve: answer("approve"),
    deny: answer("deny"),
    request,
    rule: ruleCommand,
  },
});
