/**
 * The soak's verdict (bench/soak.ts): did the server's or the dashboard's memory or open file
 * descriptors grow beyond a bound once warmed up?
 *
 * Why these comparisons and bounds:
 * - Warm-up is the first third of the samples (at least 2): JIT-compiled code, SQLite's page
 *   cache, fetch's connection pool and the dashboard's first frames grow for a while and then
 *   level off; that is not a leak.
 * - The baseline is the warm-up's peak, and the end is the median of the last third: a garbage
 *   collection that happened to run just before one sample neither lowers the baseline nor, on
 *   its own, fails the run. A leak raises every late sample, so it raises their median.
 * - RSS may grow by max(25 %, 32 MiB) (`--rss-pct`, `--rss-mib`): a healthy Bun process's RSS
 *   wanders by 10-20 MiB as JavaScriptCore's heap grows in chunks and gives memory back lazily;
 *   32 MiB is above that noise, and 25 % scales it for a bigger process.
 * - Open fds may grow by 16 (`--fd-slack`): they go up and down with requests in flight and agents
 *   running (a handful at this load), while a leak of one per request or per agent passes 16
 *   within a minute or two.
 * - A leak can also hide behind a warm-up that peaked high (a collection that ran late), so the
 *   line fitted (least squares) through the samples after the warm-up must not rise by more than
 *   the same bound over those samples either: one sample, high or low, barely tilts a fit.
 */

export interface Usage {
  rssKb: number;
  fds: number;
}

export interface Sample {
  seconds: number;
  server: Usage;
  dashboard: Usage;
  /** Live agent shims (each runs one agent), to show agents come and go. */
  shims: number;
  completed: number;
  requests: number;
  events: number;
  errors: number;
}

/** One row of the verdict, its figures formatted for people ("+3.2 MiB"). */
export interface Judgement {
  process: string;
  measure: string;
  baseline: string;
  end: string;
  growth: string;
  /** The rise of the line fitted through the samples after the warm-up, and its slope per hour. */
  fitted: string;
  bound: string;
  ok: boolean;
}

export interface Bounds {
  rssPct: number;
  rssMib: number;
  fdSlack: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Least-squares slope of `ys` over `xs`, per unit of x. */
function slope(xs: number[], ys: number[]): number {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * ((ys[i] as number) - my);
    den += (x - mx) ** 2;
  });
  return den === 0 ? 0 : num / den;
}

export function judge(samples: Sample[], bounds: Bounds): Judgement[] {
  const warm = Math.max(2, Math.ceil(samples.length / 3));
  const tail = Math.max(1, Math.floor(samples.length / 3));
  const after = samples.slice(warm);
  const seconds = after.map((s) => s.seconds);
  const window = (seconds.at(-1) ?? 0) - (seconds[0] ?? 0);
  const rows: Judgement[] = [];
  for (const process of ["server", "dashboard"] as const) {
    for (const measure of ["rss", "fds"] as const) {
      const value = (s: Sample) => (measure === "rss" ? s[process].rssKb / 1024 : s[process].fds);
      const baseline = Math.max(...samples.slice(0, warm).map(value));
      const end = median(samples.slice(-tail).map(value));
      const limit =
        measure === "rss" ? Math.max((baseline * bounds.rssPct) / 100, bounds.rssMib) : bounds.fdSlack;
      const perSecond = after.length > 1 ? slope(seconds, after.map(value)) : 0;
      const f = (v: number, sign = false) =>
        `${sign && v >= 0 ? "+" : ""}${measure === "rss" ? `${v.toFixed(1)} MiB` : Math.round(v * 10) / 10}`;
      rows.push({
        process,
        measure: measure === "rss" ? "RSS" : "open fds",
        baseline: f(baseline),
        end: f(end),
        growth: f(end - baseline, true),
        fitted: `${f(perSecond * window, true)} (${f(perSecond * 3600, true)}/h)`,
        bound: f(limit, true),
        // NaN (the process was gone at a sample) fails too.
        ok: end - baseline <= limit && perSecond * window <= limit,
      });
    }
  }
  return rows;
}
