import { budgetSummary } from "../model/budget-summary.ts";
import { blockBar, fit, fitRight, money, sparkline } from "../model/format.ts";
import type { BudgetList } from "../model/store.ts";
import { COLORS, spendColor } from "../theme.ts";

export interface BudgetPanelProps {
  budgets: BudgetList | null;
  /** Swarm names by id, for the per-swarm rows. */
  names: ReadonlyMap<string, string>;
  /** Spend per 10 s over the last 5 minutes. */
  history: readonly number[];
  width: number;
  /** Rows for the per-swarm breakdown. */
  swarmRows: number;
}

const percentOf = (spent: number, allocated: number) => (allocated > 0 ? (spent / allocated) * 100 : 0);

/** The by-model column's width, and the least panel width that leaves the rest its full lines. */
const MODEL_COLUMN = 48;
const MODEL_FROM_WIDTH = 96 + MODEL_COLUMN;

/** Spend per model through the gateway, the most first: one line each, beside the totals. */
function ByModel({ budgets, rows }: { budgets: BudgetList; rows: number }) {
  const models = [...budgets.byModel].sort((a, b) => b.cost - a.cost).slice(0, rows);
  return (
    <box flexDirection="column" width={MODEL_COLUMN}>
      {models.map((m) => (
        <text key={m.model}>
          <span fg={COLORS.dim}>{fit(m.model, 19)} </span>
          <span fg={COLORS.text}>{fitRight(money(m.cost), 8)} </span>
          <span fg={m.refused > 0 ? COLORS.error : COLORS.dim}>
            {fit(
              `${m.calls} call${m.calls === 1 ? "" : "s"}${m.refused > 0 ? `, ${m.refused} refused` : ""}`,
              19,
            )}
          </span>
        </text>
      ))}
    </box>
  );
}

/**
 * Total spend against the allocation, per-swarm bars, burn rate, projection and a sparkline; on a
 * wide terminal, spend per model beside them (narrower ones would have to cut the bars for it).
 */
export function BudgetPanel({ budgets, names, history, width, swarmRows }: BudgetPanelProps) {
  if (budgets && budgets.byModel.length > 0 && width >= MODEL_FROM_WIDTH) {
    return (
      <box flexDirection="row" width={width}>
        <Totals
          budgets={budgets}
          names={names}
          history={history}
          width={width - MODEL_COLUMN}
          swarmRows={swarmRows}
        />
        <ByModel budgets={budgets} rows={swarmRows + 2} />
      </box>
    );
  }
  return <Totals budgets={budgets} names={names} history={history} width={width} swarmRows={swarmRows} />;
}

function Totals({ budgets, names, history, width, swarmRows }: BudgetPanelProps) {
  const { total, swarms, burn, projected, minutesLeft } = budgetSummary(budgets);
  const currency = total?.currency ?? "USD";
  const percent = total ? percentOf(total.spent, total.allocated) : 0;
  const barWidth = Math.max(10, Math.min(40, width - 40));
  const shown = swarms.slice(0, swarmRows);
  return (
    <box flexDirection="column" width={width}>
      <text>
        <span fg={COLORS.text}>
          Total: {money(total?.spent ?? 0, currency)} / {money(total?.allocated ?? 0, currency)}{" "}
        </span>
        <span fg={spendColor(percent)}>{blockBar(percent, barWidth)}</span>
        <span fg={COLORS.text}> {Math.round(percent)}%</span>
      </text>
      <text>
        <span fg={COLORS.dim}>burn </span>
        <span fg={COLORS.text}>{money(burn, currency)}/min</span>
        <span fg={COLORS.dim}> · projected </span>
        <span fg={COLORS.text}>{money(projected, currency)}</span>
        <span fg={COLORS.dim}> · left </span>
        <span fg={COLORS.text}>{Number.isFinite(minutesLeft) ? `${Math.round(minutesLeft)} min` : "-"}</span>
        <span fg={COLORS.dim}> · 5 min </span>
        <span fg={COLORS.accent}>{sparkline(history)}</span>
      </text>
      {shown.map((b) => {
        const p = percentOf(b.spent, b.allocated);
        return (
          <text key={b.id}>
            <span fg={COLORS.dim}>{fit(names.get(b.entityId) ?? b.entityId, 16)} </span>
            <span fg={COLORS.text}>
              {fit(`${money(b.spent, b.currency)}/${money(b.allocated, b.currency)}`, 17)}{" "}
            </span>
            <span fg={spendColor(p)}>{blockBar(p, Math.max(6, barWidth - 14))}</span>
            <span fg={COLORS.text}> {Math.round(p)}%</span>
            {b.level !== "none" ? <span fg={spendColor(p)}> {b.level}</span> : null}
          </text>
        );
      })}
    </box>
  );
}
