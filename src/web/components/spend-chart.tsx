/** @jsxImportSource react */
import { spendChart } from "../../dashboard/model/spend-chart.ts";

export interface SpendChartProps {
  series: readonly number[];
  spent: number;
  allocated: number;
  burnRate: number | null;
}

/**
 * Spend over the last 5 minutes (the terminal sparkline's data, summed), then 5 minutes ahead at
 * the burn rate, against the allocation; where the projection crosses it, a mark. Plain SVG.
 */
export function SpendChart({ series, spent, allocated, burnRate }: SpendChartProps) {
  const chart = spendChart({ series, spent, allocated, burnRate });
  const label = `spend ${spent.toFixed(2)} of ${allocated.toFixed(2)} USD${
    burnRate ? `, burning ${burnRate.toFixed(3)} per minute` : ""
  }`;
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${chart.width} ${chart.height}`}
        role="img"
        aria-label={label}
        preserveAspectRatio="none"
      >
        <line className="now" x1={chart.nowX} x2={chart.nowX} y1={0} y2={chart.height} />
        {chart.limitY === null ? null : (
          <line className="limit" x1={0} x2={chart.width} y1={chart.limitY} y2={chart.limitY} />
        )}
        <polyline className="past" points={chart.past} />
        {chart.projection ? <polyline className="projection" points={chart.projection} /> : null}
        {chart.breach ? <circle className="breach" cx={chart.breach.x} cy={chart.breach.y} r={5} /> : null}
      </svg>
      <figcaption>
        $0 – ${chart.top.toFixed(chart.top < 1 ? 3 : 2)} · last 5 min ·{" "}
        <span className="projection-key">next 5 min at the burn rate</span> ·{" "}
        <span className="limit-key">
          {chart.limitOff ? `allocation $${allocated.toFixed(2)}, far above: not drawn` : "allocation"}
        </span>
      </figcaption>
    </figure>
  );
}
