/** @jsxImportSource react */
import { budgetSummary } from "../../dashboard/model/budget-summary.ts";
import { money } from "../../dashboard/model/format.ts";
import type { BudgetList } from "../../dashboard/model/store.ts";
import { SpendChart } from "./spend-chart.tsx";

export interface BudgetsViewProps {
  budgets: BudgetList | null;
  names: ReadonlyMap<string, string>;
  /** Spend per 10 s over the last 5 minutes, oldest first. */
  spend: readonly number[];
}

const percent = (spent: number, allocated: number) =>
  allocated > 0 ? Math.min(100, (spent / allocated) * 100) : 0;
const minutes = (m: number | null) => (m === null ? "-" : m < 1 ? "< 1 min" : `${Math.round(m)} min`);

/** Total spend against the allocation with its chart, then each swarm's budget and spend per model. */
export function BudgetsView({ budgets, names, spend }: BudgetsViewProps) {
  if (!budgets) return <p className="empty">Loading budgets…</p>;
  const { total, swarms, burn, projected, minutesLeft: left } = budgetSummary(budgets);
  return (
    <section className="budgets" aria-label="budgets">
      <p className="totals" data-spent={total?.spent ?? 0}>
        <strong>
          {money(total?.spent ?? 0)} / {money(total?.allocated ?? 0)}
        </strong>{" "}
        spent · {money(total?.remaining ?? 0)} left · burn {money(burn)}/min · projected {money(projected)} ·
        runs out in {minutes(Number.isFinite(left) ? left : null)}
      </p>
      <SpendChart
        series={spend}
        spent={total?.spent ?? 0}
        allocated={total?.allocated ?? 0}
        burnRate={burn}
      />
      <table className="budget-table">
        <caption>Swarms</caption>
        <thead>
          <tr>
            <th scope="col">Swarm</th>
            <th scope="col">Spent</th>
            <th scope="col" className="num">
              Allocated
            </th>
            <th scope="col" className="num">
              Burn / min
            </th>
            <th scope="col" className="num">
              Projected
            </th>
            <th scope="col">Level</th>
          </tr>
        </thead>
        <tbody>
          {swarms.map((b) => (
            <tr key={b.id} data-budget-id={b.id} className={`level-${b.level}`}>
              <td>{names.get(b.entityId) ?? b.entityId}</td>
              <td>
                <meter
                  min={0}
                  max={100}
                  value={percent(b.spent, b.allocated)}
                  low={b.thresholds.warning}
                  high={b.thresholds.critical}
                  optimum={0}
                  aria-label={`${names.get(b.entityId) ?? b.entityId} spent`}
                />{" "}
                {money(b.spent)}
              </td>
              <td className="num">{money(b.allocated)}</td>
              <td className="num">{b.burnRate === null ? "-" : money(b.burnRate)}</td>
              <td className="num">{b.projected === null ? "-" : money(b.projected)}</td>
              <td>{b.level}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {budgets.byModel.length > 0 ? (
        <table className="budget-table">
          <caption>Through the gateway, per model</caption>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col" className="num">
                Calls
              </th>
              <th scope="col" className="num">
                Refused
              </th>
              <th scope="col" className="num">
                Cost
              </th>
            </tr>
          </thead>
          <tbody>
            {[...budgets.byModel]
              .sort((a, b) => b.cost - a.cost)
              .map((m) => (
                <tr key={m.model}>
                  <td>{m.model}</td>
                  <td className="num">{m.calls}</td>
                  <td className="num">{m.refused}</td>
                  <td className="num">{money(m.cost)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
