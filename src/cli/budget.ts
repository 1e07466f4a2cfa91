import { defineCommand } from "citty";
import type { BudgetList } from "../domain/wire.ts";
import { bar, clientArgs, clientFor, money, numberArg, output, UsageError } from "./common.ts";
import { bold, dim, green, red, table, yellow } from "./style.ts";

const show = defineCommand({
  meta: { name: "show", description: "Show budgets: allocated, spent, remaining, with totals" },
  args: { swarm: { type: "string", description: "Only this swarm's budget" }, ...clientArgs },
  async run({ args }) {
    const client = clientFor(args);
    const data = await client.getBudgets(args.swarm);
    const names = new Map((await client.listSwarms()).swarms.map((s) => [s.id, s.name]));
    output(args, data, () => {
      if (data.budgets.length === 0) return dim("No budgets yet.");
      const rows = data.budgets.map((b) => [
        names.get(b.entityId) ?? `${b.entityType} ${b.entityId}`,
        `${money(b.spent, b.currency)} / ${money(b.allocated, b.currency)}`,
        bar(b.allocated > 0 ? (b.spent / b.allocated) * 100 : 0),
        money(b.reserved, b.currency),
        b.burnRate === null ? "-" : `${money(b.burnRate, b.currency)}/min`,
        b.projected === null
          ? "-"
          : b.projected >= b.allocated
            ? red(money(b.projected, b.currency))
            : money(b.projected, b.currency),
        b.minutesLeft === null ? "-" : minutes(b.minutesLeft),
        b.level === "none" ? dim("-") : yellow(b.level),
      ]);
      const totals = data.totals.map(
        (t) =>
          `${bold("total")} ${money(t.spent, t.currency)} of ${money(t.allocated, t.currency)} (${money(t.remaining, t.currency)} left)`,
      );
      return [
        table(
          ["BUDGET", "SPENT / ALLOCATED", "USED", "RESERVED", "BURN", "PROJECTED", "LEFT", "ALERT"],
          rows,
        ),
        "",
        ...totals,
        ...byModel(data.byModel),
      ].join("\n");
    });
  },
});

const allocate = defineCommand({
  meta: {
    name: "allocate",
    description:
      "Add money (or tokens) to a swarm's budget, or an agent's or a project's (made on first use)",
  },
  args: {
    swarm: { type: "positional", required: false, description: "Swarm id (not with --agent / --project)" },
    amount: { type: "positional", required: false, description: "Amount to add, in the budget's currency" },
    agent: { type: "string", description: "An agent's own budget (under its swarm's)" },
    project: { type: "string", description: "A project budget (swarms join it with --project at create)" },
    currency: { type: "string", description: "A new project budget's currency: USD | tokens" },
    ...clientArgs,
  },
  async run({ args }) {
    // `allocate <swarm> <amount>`, or `allocate --project <name> <amount>`: then the one positional is the amount.
    const other = Boolean(args.agent || args.project);
    const given = other ? (args.amount ?? args.swarm) : args.amount;
    const amount = numberArg("amount", given, { min: 0 });
    if (!amount) throw new UsageError(`amount must be a number above 0, got "${given}"`);
    if (
      Number(Boolean(args.agent)) + Number(Boolean(args.project)) + Number(!other && Boolean(args.swarm)) !==
      1
    ) {
      throw new UsageError("name one budget: a swarm id, --agent <id> or --project <name>");
    }
    const target = args.agent
      ? { agentId: args.agent }
      : args.project
        ? { project: args.project, currency: args.currency }
        : (args.swarm as string);
    const b = await clientFor(args).allocate(target, amount);
    output(
      args,
      b,
      () =>
        `${green("✓")} Allocated ${money(amount, b.currency)} to the ${b.entityType} budget ${b.entityId}: ${money(b.spent, b.currency)} of ${money(b.allocated, b.currency)} spent, ${money(b.remaining, b.currency)} left`,
    );
  },
});

/** What the gateway's calls spent, per model (nothing when no call went through it). */
function byModel(models: BudgetList["byModel"]): string[] {
  if (models.length === 0) return [];
  const rows = models.map((m) => [
    m.model,
    String(m.calls - m.refused),
    m.refused > 0 ? red(String(m.refused)) : dim("0"),
    m.promptTokens.toLocaleString("en-US"),
    m.completionTokens.toLocaleString("en-US"),
    money(m.cost, "USD"),
  ]);
  return [
    "",
    bold("spend by model (gateway calls)"),
    table(["MODEL", "CALLS", "REFUSED", "IN", "OUT", "COST"], rows),
  ];
}

/** 0.5 → "30s", 12.25 → "12m", 200 → "3h20m". */
function minutes(value: number): string {
  if (value < 1) return `${Math.round(value * 60)}s`;
  if (value < 60) return `${Math.round(value)}m`;
  return `${Math.floor(value / 60)}h${String(Math.round(value % 60)).padStart(2, "0")}m`;
}

export default defineCommand({
  meta: { name: "budget", description: "Show and allocate budgets" },
  subCommands: { show, allocate },
});
