import type { EventBus } from "../bus/bus.ts";
import type { Lifecycle } from "../core/lifecycle.ts";
import { fromUnits } from "../domain/money.ts";
import type { MetricsSnapshot } from "../storage/store.ts";
import { VERSION } from "../version.ts";
import type { SocketStats } from "./websocket-watch.ts";

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Series {
  labels: string;
  counts: number[];
  sum: number;
  count: number;
}

/** Prometheus label value escaping: backslash, double quote and newline. */
export function labelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([k, v]) => `${k}="${labelValue(v)}"`)
    .join(",");
}

/** The gateway's calls per model: how many by outcome, tokens and USD spent (from model_calls). */
function modelFamilies(
  rows: MetricsSnapshot["calls"],
  family: (name: string, type: string, help: string) => void,
  out: string[],
) {
  family("dash_model_calls_total", "counter", "Model calls through the gateway, by model and outcome.");
  for (const r of rows)
    out.push(`dash_model_calls_total{${labels({ model: r.model, status: r.status })}} ${r.n}`);
  const byModel = new Map<string, { prompt: number; completion: number; cost: number }>();
  for (const r of rows) {
    const m = byModel.get(r.model) ?? { prompt: 0, completion: 0, cost: 0 };
    byModel.set(r.model, {
      prompt: m.prompt + r.prompt,
      completion: m.completion + r.completion,
      cost: m.cost + r.cost,
    });
  }
  family("dash_model_spent_usd_total", "counter", "USD spent on model calls through the gateway, by model.");
  for (const [model, m] of byModel)
    out.push(`dash_model_spent_usd_total{${labels({ model })}} ${fromUnits(m.cost, "USD")}`);
  family(
    "dash_model_tokens_total",
    "counter",
    "Tokens of model calls through the gateway, by model and kind.",
  );
  for (const [model, m] of byModel) {
    out.push(`dash_model_tokens_total{${labels({ model, kind: "prompt" })}} ${m.prompt}`);
    out.push(`dash_model_tokens_total{${labels({ model, kind: "completion" })}} ${m.completion}`);
  }
}

/** What /metrics shows: request durations kept in memory, the rest read at scrape time. */
export class Metrics {
  private readonly requests = new Map<string, Series>();
  private readonly eventCounts = new Map<string, number>();
  /** Kept up to date by the `/events` SocketWatch. */
  readonly sockets: SocketStats = { open: 0, droppedDead: 0, closedSlow: 0 };

  constructor(bus?: EventBus) {
    bus?.subscribe((event) => this.eventCounts.set(event.type, (this.eventCounts.get(event.type) ?? 0) + 1));
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    // Found by a plain key on every request; the escaped label text is made once per series.
    const key = `${method} ${status} ${route}`;
    let series = this.requests.get(key);
    if (!series) {
      const text = labels({ method, route, status: String(status) });
      series = { labels: text, counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.requests.set(key, series);
    }
    const { counts } = series;
    for (let i = 0; i < BUCKETS.length; i++)
      if (seconds <= (BUCKETS[i] as number)) counts[i] = (counts[i] ?? 0) + 1;
    series.sum += seconds;
    series.count += 1;
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  render(db: MetricsSnapshot, lifecycle: Lifecycle, about: ServerFacts = {}): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string) =>
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

    // Which server this is: several nodes on one database scrape apart by these labels.
    family("dash_info", "gauge", "This server: its version, store and node (always 1).");
    out.push(
      `dash_info{${labels({ version: VERSION, store: about.store ?? "sqlite", node: about.node ?? "" })}} 1`,
    );
    if (about.notifications) {
      family(
        "dash_notifications",
        "gauge",
        "Notifications in the outbox by status (pending, delivered, dead).",
      );
      for (const [status, n] of Object.entries(about.notifications))
        out.push(`dash_notifications{${labels({ status })}} ${n}`);
    }

    family(
      "dash_http_request_duration_seconds",
      "histogram",
      "HTTP request duration by method, route and status.",
    );
    for (const s of this.requests.values()) {
      for (const [i, le] of BUCKETS.entries()) {
        out.push(`dash_http_request_duration_seconds_bucket{${s.labels},le="${le}"} ${s.counts[i]}`);
      }
      out.push(`dash_http_request_duration_seconds_bucket{${s.labels},le="+Inf"} ${s.count}`);
      out.push(`dash_http_request_duration_seconds_sum{${s.labels}} ${s.sum}`);
      out.push(`dash_http_request_duration_seconds_count{${s.labels}} ${s.count}`);
    }

    family("dash_agents", "gauge", "Agents by status.");
    for (const row of db.agents) {
      out.push(`dash_agents{${labels({ status: row.status })}} ${row.n}`);
    }
    family("dash_swarms", "gauge", "Swarms by status.");
    for (const row of db.swarms) {
      out.push(`dash_swarms{${labels({ status: row.status })}} ${row.n}`);
    }

    family("dash_events_total", "counter", "Events committed since this server started, by type.");
    for (const [type, n] of this.eventCounts) out.push(`dash_events_total{${labels({ type })}} ${n}`);
    family("dash_events_stored", "gauge", "Events kept in the database (after retention).");
    out.push(`dash_events_stored ${db.events}`);

    family("dash_swarm_spent", "gauge", "Money (USD) or tokens spent by each swarm that is not destroyed.");
    family("dash_swarm_allocated", "gauge", "Budget allocated to each swarm that is not destroyed.");
    for (const row of db.spend) {
      const l = labels({ swarm_id: row.id, swarm: row.name, currency: row.currency });
      out.push(`dash_swarm_spent{${l}} ${fromUnits(row.spent, row.currency)}`);
      out.push(`dash_swarm_allocated{${l}} ${fromUnits(row.allocated, row.currency)}`);
    }

    modelFamilies(db.calls, family, out);

    family("dash_refused_transitions_total", "counter", "State-machine moves refused since start.");
    for (const [move, n] of Object.entries(lifecycle.refusedTransitions())) {
      out.push(`dash_refused_transitions_total{${labels({ move })}} ${n}`);
    }
    family("dash_write_conflicts_total", "counter", "Optimistic-lock conflicts since start.");
    out.push(`dash_write_conflicts_total ${lifecycle.conflicts}`);
    family("dash_websocket_clients", "gauge", "Open /events connections.");
    out.push(`dash_websocket_clients ${this.sockets.open}`);
    family("dash_websocket_closed_total", "counter", "/events connections the server closed, by reason.");
    out.push(`dash_websocket_closed_total{reason="dead"} ${this.sockets.droppedDead}`);
    out.push(`dash_websocket_closed_total{reason="slow"} ${this.sockets.closedSlow}`);
    family("dash_process_resident_memory_bytes", "gauge", "Resident set size of the server.");
    out.push(`dash_process_resident_memory_bytes ${process.memoryUsage.rss()}`);
    return `${out.join("\n")}\n`;
  }
}

/** What /metrics says of the server itself besides the database's figures. */
export interface ServerFacts {
  store?: string;
  node?: string;
  notifications?: Record<string, number>;
}
