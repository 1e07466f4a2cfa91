import { defineCommand } from "citty";
import type { ApprovalResponse } from "../domain/approval.ts";
import type { ApprovalContext } from "../domain/approval-context.ts";
import { clientArgs, clientFor, output } from "./common.ts";
import { bold, cyan, dim, green, red, yellow } from "./style.ts";

/**
 * `dash approvals show <id>`: one request with what the server gathered when it was asked (the
 * task, the agent's last log lines, the cost, the files changed, what the timeout does) and how to
 * answer it: all a person needs to decide, in one screen.
 */

const usd = (n: number) => `$${n.toFixed(4)}`;

export function describeContext(c: ApprovalContext): string[] {
  const lines: string[] = [];
  if (c.task) lines.push(`${bold("task")}    ${c.task}`);
  if (c.agent)
    lines.push(
      `${bold("agent")}   ${c.agent.name} ${dim(c.agent.id)} · ${c.agent.status} · ${usd(c.agent.costUsd)}`,
    );
  if (c.swarm)
    lines.push(
      `${bold("swarm")}   ${c.swarm.name} ${dim(c.swarm.id)} · ${c.swarm.status} · ${usd(c.swarm.costUsd)}`,
    );
  if (c.files) {
    const more = c.filesMore ? dim(` (+${c.filesMore} more)`) : "";
    lines.push(`${bold("files")}   ${c.files.length === 0 ? dim("none changed") : ""}${more}`);
    for (const f of c.files) {
      const counts = f.untracked ? yellow("new") : `${green(`+${f.insertions}`)} ${red(`-${f.deletions}`)}`;
      lines.push(`  ${counts} ${f.path}`);
    }
  }
  if (c.log.length > 0) lines.push(bold("log"), ...c.log.map((l) => dim(`  ${l}`)));
  lines.push(
    `${bold("timeout")} ${c.onTimeout.action} at ${c.onTimeout.at.slice(0, 19).replace("T", " ")} UTC`,
  );
  lines.push(`${bold("answer")}  ${cyan(c.answer.approve)}  or  ${cyan(c.answer.deny)}`);
  return lines;
}

function describeApproval(a: ApprovalResponse): string {
  const head = `${bold(a.title)} ${dim(`${a.id} · ${a.kind} · ${a.status}`)}`;
  const answered =
    a.status === "pending"
      ? []
      : [
          `${bold("answered")} ${a.status} by ${a.resolvedBy} at ${a.resolvedAt?.slice(0, 19).replace("T", " ")} UTC${a.reason ? ` · ${a.reason}` : ""}`,
        ];
  const escalated = a.escalatedAt
    ? [yellow(`escalated at ${a.escalatedAt.slice(0, 19).replace("T", " ")} UTC`)]
    : [];
  const context = a.context
    ? describeContext(a.context)
    : [dim("(asked before requests kept their context)")];
  return [head, ...answered, ...escalated, ...context].join("\n");
}

export const showCommand = defineCommand({
  meta: { name: "show", description: "Show a request with its context: what it is about, and how to answer" },
  args: { id: { type: "positional", required: true, description: "Approval id" }, ...clientArgs },
  async run({ args }) {
    const approval = await clientFor(args).getApproval(args.id);
    output(args, approval, () => describeApproval(approval));
  },
});
