import { defineCommand } from "citty";
import { bar, clientArgs, clientFor, money, numberArg, output, UsageError } from "./common.ts";
import { bold, dim, green, table } from "./style.ts";

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
        money(b.allocated, b.currency),
        money(b.spent, b.currency),
        money(b.remaining, b.currency),
        bar(b.allocated > 0 ? (b.spent / b.allocated) * 100 : 0),
        b.projected === null ? "-" : money(b.projected, b.currency),
      ]);
      const totals = data.totals.map(
        (t) =>
          `${bold("total")} ${money(t.spent, t.currency)} of ${money(t.allocated, t.currency)} (${money(t.remaining, t.currency)} left)`,
      );
      return [
        table(["BUDGET", "ALLOCATED", "SPENT", "REMAINING", "USED", "PROJECTED"], rows),
        "",
        ...totals,
      ].join("\n");
    });
  },
});

const allocate = defineCommand({
  meta: { name: "allocate", description: "Add money (or tokens) to a swarm's budget" },
  args: {
    swarm: { type: "positional", required: true, description: "Swarm id" },
    amount: { type: "positional", required: true, description: "Amount to add, in the budget's currency" },
    ...clientArgs,
  },
  async run({ args }) {
    const amount = numberArg("amount", args.amount, { min: 0 });
    if (!amount) throw new UsageError(`amount must be a number above 0, got "${args.amount}"`);
    const b = await clientFor(args).allocate(args.swarm, amount);
    output(
      args,
      b,
      () =>
        `${green("✓")} Allocated ${money(amount, b.currency)}: ${money(b.spent, b.currency)} of ${money(b.allocated, b.currency)} spent, ${money(b.remaining, b.currency)} left`,
    );
  },
});

export default defineCommand({
  meta: { name: "budget", description: "Show and allocate budgets" },
  subCommands: { show, allocate },
});
