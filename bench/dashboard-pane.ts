/** The dashboard in a tmux pane for the benchmarks: launch, poll the screen, quit; figures as rows. */
import { Tmux } from "../tests/e2e/tmux.ts";
import { kB, mib, procStat } from "./proc.ts";
import type { BenchServer } from "./serve.ts";
import { percentile } from "./stats.ts";

// 160×70 gives the grid 56 rows: all 50 agents of the latency run are on screen.
export const SIZE = { width: 160, height: 70 };
export const status = (pid: number, field: string) => kB(`/proc/${pid}/status`, field);
export const ms = (v: number) => `${v.toFixed(1)} ms`;

/** Polls the pane as fast as tmux answers (no sleep): the figure's resolution is one capture. */
export async function poll(
  pane: Tmux,
  done: (screen: string) => boolean,
  timeoutMs = 30_000,
): Promise<number> {
  const t0 = performance.now();
  while (!done(pane.capture())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`pane: timed out\n${pane.capture()}`);
    await Bun.sleep(0);
  }
  return performance.now();
}

/** Every pane still open, so a bench that fails midway leaves no dashboard behind. */
export const panes = new Set<Tmux>();

export type Launched = { pane: Tmux; pid: number; paintMs: number; filledMs: number };

/** Spawns the dashboard; "filled" = the Agents panel counts all `agents` and a row is drawn. */
export async function launch(bin: string, server: BenchServer, agents: number): Promise<Launched> {
  const env = { DASH_URL: server.url, DASH_API_KEY: server.key };
  const t0 = performance.now();
  const pane = Tmux.start([bin, "dashboard"], { ...SIZE, env });
  panes.add(pane);
  const pid = Number(pane.display("#{pane_pid}"));
  const paintMs = (await poll(pane, (s) => s.startsWith("◆ DASH"))) - t0;
  const filled = (s: string) => s.includes(`Agents ${agents} `) && /^│\S.*(IDLE|KILLED)/m.test(s);
  return { pane, pid, paintMs, filledMs: (await poll(pane, filled)) - t0 };
}

export async function quit({ pane, pid }: Launched) {
  pane.keys("q");
  for (let i = 0; i < 500 && (procStat(pid)?.state ?? "Z") !== "Z"; i++) await Bun.sleep(20);
  pane.kill();
  panes.delete(pane);
}

export function api({ url, key }: BenchServer) {
  const headers = { Authorization: `Bearer ${key}`, "Content-Type": "application/json" };
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}${path}`, { method, headers, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
}

/** A swarm of `n` idle agents named `<name>-1`…; returns name → id. */
export async function idleSwarm(server: BenchServer, name: string, n: number) {
  const call = api(server);
  const swarm = await call<{ id: string }>("POST", "/api/swarm", {
    name,
    task: "wait",
    inputs: Array.from({ length: n }, (_, i) => i),
    config: { command: ["true"], maxRetries: 0 },
  });
  const ids = new Map<string, string>();
  for (let cursor = ""; ; ) {
    const page = await call<{ agents: { id: string; name: string }[]; nextCursor: string | null }>(
      "GET",
      `/api/agents?swarmId=${swarm.id}&limit=100${cursor ? `&cursor=${cursor}` : ""}`,
    );
    for (const a of page.agents) ids.set(a.name, a.id);
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
}

export const row = (figure: string, value: string, target: string) => ({
  figure,
  value,
  "PRD target": target,
});

export type Row = ReturnType<typeof row>;
export const rss = (pid: number) => `${mib(status(pid, "VmRSS"))} (peak ${mib(status(pid, "VmHWM"))})`;
/** "p50 … · p95 …" of latencies; percentile 100 is printed as max. */
export const figures = (values: number[], ps: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return ps.map((p) => `${p === 100 ? "max" : `p${p}`} ${ms(percentile(sorted, p))}`).join(" · ");
};
