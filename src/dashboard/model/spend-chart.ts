/**
 * The budgets view's chart: spend over the last minutes (the sparkline's data, summed up), the
 * projection ahead at the burn rate, and the allocation as a line, in an SVG viewBox's units.
 */
export interface SpendChart {
  width: number;
  height: number;
  /** `x,y x,y …` of the spend so far, oldest first; the last point is now. */
  past: string;
  /** From now to `aheadMs` later at the burn rate; null when nothing burns. */
  projection: string | null;
  /** The allocation's height, or null when it is off the chart (no allocation). */
  limitY: number | null;
  /** Where the projection reaches the allocation, when it does within the chart. */
  breach: { x: number; y: number } | null;
  /** The x of now: the past is to its left, the projection to its right. */
  nowX: number;
  /** The largest value on the vertical axis. */
  top: number;
  /** The allocation is so far above the spend that drawing it would flatten the lines: left off. */
  limitOff: boolean;
}

export interface SpendChartInput {
  /** Spend per slot, oldest first; the last slot is the current one. */
  series: readonly number[];
  spent: number;
  allocated: number;
  /** Per minute; null or 0: not burning. */
  burnRate: number | null;
  slotMs?: number;
  aheadMs?: number;
  width?: number;
  height?: number;
}

const round = (n: number) => Math.round(n * 10) / 10;

export function spendChart(input: SpendChartInput): SpendChart {
  const { series, spent, allocated, burnRate } = input;
  const slotMs = input.slotMs ?? 10_000;
  const aheadMs = input.aheadMs ?? 300_000;
  const width = input.width ?? 600;
  const height = input.height ?? 160;
  const pastMs = series.length * slotMs;
  const burnPerMs = burnRate && burnRate > 0 ? burnRate / 60_000 : 0;
  const ahead = spent + burnPerMs * aheadMs;
  const most = Math.max(ahead, spent);
  // A $100 allocation over $0.50 of spend would draw two flat lines: scale to the spend then.
  const limitOff = allocated > 0 && most > 0 && allocated > 4 * most;
  const top = (limitOff ? most * 1.25 : Math.max(allocated, most) * 1.1) || 1;
  const x = (ms: number) => round((ms / (pastMs + aheadMs)) * width);
  const y = (value: number) => round(height - (Math.max(0, value) / top) * height);
  // Spend at the start of the window: what was spent before it, so the line ends at `spent`.
  let total = Math.max(0, spent - series.reduce((sum, v) => sum + v, 0));
  const points = [`${x(0)},${y(total)}`];
  series.forEach((amount, i) => {
    total += amount;
    points.push(`${x((i + 1) * slotMs)},${y(i === series.length - 1 ? spent : total)}`);
  });
  const nowX = x(pastMs);
  const projection = burnPerMs > 0 ? `${nowX},${y(spent)} ${x(pastMs + aheadMs)},${y(ahead)}` : null;
  let breach: SpendChart["breach"] = null;
  if (burnPerMs > 0 && allocated > spent && ahead >= allocated) {
    const at = (allocated - spent) / burnPerMs;
    breach = { x: x(pastMs + at), y: y(allocated) };
  }
  return {
    width,
    height,
    past: points.join(" "),
    projection,
    limitY: allocated > 0 && !limitOff ? y(allocated) : null,
    breach,
    nowX,
    top,
    limitOff,
  };
}
