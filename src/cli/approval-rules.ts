import { defineCommand } from "citty";
import { approvalRules } from "../client/approval-rules.ts";
import { type ApprovalRuleResponse, RuleActionSchema } from "../domain/approval-rule.ts";
import { age, clientArgs, clientFor, output, UsageError } from "./common.ts";
import { bold, dim, green, red, table } from "./style.ts";

/**
 * `dash approvals rule add|list|rm`: standing answers. A request whose title matches a rule is
 * answered at once by it (recorded as answered by `rule:<id>`), so its agent does not wait.
 */

const paint = { approve: green, deny: red } as const;

const describe = (r: ApprovalRuleResponse) =>
  `${paint[r.action](r.action)} ${bold(r.pattern)} ${dim(`${r.id} · ${r.swarmId ? `swarm ${r.swarmId}` : "every swarm"}`)}`;

const add = defineCommand({
  meta: { name: "add", description: "Add a rule: answer matching requests at once" },
  args: {
    action: { type: "string", description: "approve or deny" },
    match: { type: "string", description: 'The title it answers, a glob: "Run tests*" (`*` is any text)' },
    swarm: { type: "string", description: "Only this swarm's requests (default: every swarm's)" },
    from: {
      type: "string",
      description: "An answered request to copy: its swarm, its title, its answer (no other flag)",
    },
    ...clientArgs,
  },
  async run({ args }) {
    const given = [args.action, args.match, args.swarm].some((v) => v !== undefined);
    if (args.from !== undefined && given)
      throw new UsageError("--from takes no --action, --match or --swarm");
    let input: Parameters<ReturnType<typeof approvalRules>["add"]>[0];
    if (args.from !== undefined) input = { from: args.from };
    else {
      const action = RuleActionSchema.safeParse(args.action);
      if (!action.success)
        throw new UsageError("--action must be approve or deny (or use --from <approval id>)");
      if (!args.match)
        throw new UsageError('--match is needed: the title it answers, e.g. --match "Run tests*"');
      input = { action: action.data, match: args.match, ...(args.swarm ? { swarmId: args.swarm } : {}) };
    }
    const rule = await approvalRules(clientFor(args)).add(input);
    output(args, rule, () => `${green("✓")} ${describe(rule)}`);
  },
});

const list = defineCommand({
  meta: { name: "list", description: "List the rules, oldest first" },
  args: { ...clientArgs },
  async run({ args }) {
    const { rules } = await approvalRules(clientFor(args)).list();
    output(args, { rules }, () =>
      rules.length === 0
        ? dim("No rules: every request is asked of a person.")
        : table(
            ["ID", "ACTION", "MATCH", "SWARM", "FROM", "BY", "AGE"],
            rules.map((r) => [
              r.id,
              paint[r.action](r.action),
              r.pattern,
              r.swarmId ?? "every",
              r.fromApprovalId ?? "-",
              r.createdBy ?? "-",
              age(r.createdAt),
            ]),
          ),
    );
  },
});

const rm = defineCommand({
  meta: { name: "rm", description: "Remove a rule (matching requests are asked of people again)" },
  args: { id: { type: "positional", required: true, description: "Rule id" }, ...clientArgs },
  async run({ args }) {
    const removed = await approvalRules(clientFor(args)).remove(args.id);
    output(args, removed, () => `${green("✓")} removed ${describe(removed)}`);
  },
});

export const ruleCommand = defineCommand({
  meta: { name: "rule", description: "Rules that answer matching approval requests at once" },
  subCommands: { add, list, rm },
});
