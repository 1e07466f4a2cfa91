import { defineCommand } from "citty";
import type { ApprovalResponse } from "../domain/approval.ts";
import { age, clientArgs, clientFor, numberArg, output } from "./common.ts";
import { EXIT } from "./run.ts";
import { bold, cyan, dim, green, red, table, yellow } from "./style.ts";
import { describeMerge } from "./swarm-branches.ts";

/**
 * `dash approvals`: the questions agents and budgets ask people. Pending ones are listed by
 * default; `approve`/`deny` answer; `request` asks (from inside an agent it asks for that agent,
 * with its DASH_AGENT_TOKEN) and with --wait exits 0 when approved, 1 when denied or timed out.
 */

const paint = { pending: yellow, approved: green, denied: red } as const;

function describe(a: ApprovalResponse): string {
  const who = a.agentId ? `agent ${a.agentId}` : a.swarmId ? `swarm ${a.swarmId}` : "Dash";
  const how = a.status === "pending" ? `expires ${a.expiresAt.slice(11, 19)} UTC` : `by ${a.resolvedBy}`;
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
        paint[a.status](a.status),
        a.kind,
        a.agentId ?? a.swarmId ?? "-",
        a.title,
        a.status === "pending"
          ? `in ${age(new Date().toISOString(), Date.parse(a.expiresAt))}`
          : (a.resolvedBy ?? "-"),
        age(a.createdAt),
      ]);
      return table(["ID", "STATUS", "KIND", "FOR", "QUESTION", "EXPIRES/BY", "AGE"], rows);
    });
  },
});

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
    timeout: { type: "string", description: "Seconds before it counts as denied (default 900)" },
    wait: { type: "boolean", description: "Wait for the answer: exit 0 if approved, 1 if denied" },
    ...clientArgs,
  },
  async run({ args }) {
    const client = clientFor(args);
    const asked = await client.requestApproval({
      title: args.title,
      agentId: args.agent,
      timeoutSeconds: numberArg("--timeout", args.timeout, { integer: true, min: 1 }),
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
  subCommands: { list, approve: answer("approve"), deny: answer("deny"), request },
});
