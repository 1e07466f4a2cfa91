/**
 * The soak's steady load (bench/soak.ts): real command agents that start, report usage and
 * progress, and complete all the time; a paced mix of API reads and writes; a WebSocket client on
 * /events. Light on purpose: a soak looks for what piles up over an hour, not for throughput, and
 * it shares a small machine with other work.
 */
import { readdirSync } from "node:fs";
import { signalGroup } from "../src/runtimes/process.ts";
import { readProc } from "./proc.ts";
import type { BenchServer } from "./serve.ts";

export interface SoakLoadOptions {
  /** A new swarm this often… */
  swarmEverySeconds: number;
  /** …of this many agents: half at creation, the rest added by a scale-up a second later. */
  agentsPerSwarm: number;
  /** Paced API requests besides the swarms' own (create, scale, destroy). */
  requestsPerSecond: number;
}

export interface SoakCounts {
  swarmsCreated: number;
  swarmsDestroyed: number;
  agentsCompleted: number;
  agentsFailed: number;
  /** Every HTTP request sent, by status class. */
  requests: number;
  /** 4xx: an HTTP usage report can race its agent's end (409); anything else is counted as an error. */
  conflicts: number;
  /** Events received on /events (control messages not counted). */
  events: number;
  /** Things that must not happen in a healthy soak, counted by kind ("HTTP 500", "ws closed"…). */
  errors: Map<string, number>;
}

const STEPS = 4;
/** ~4 s per agent: a usage and a progress line a second, then a result, like a small model loop. */
const AGENT_SCRIPT = [
  `i=1; while [ $i -le ${STEPS} ]; do`,
  `echo '{"dash":"usage","promptTokens":'$((i*100))',"completionTokens":40,"costUsd":0.0001}'`,
  `echo '{"dash":"progress","current":'$i',"total":${STEPS}}'; sleep 1; i=$((i+1)); done`,
  `echo '{"dash":"result","result":"ok"}'`,
].join("\n");
/** A swarm not finished this long after its creation is stuck: an error, and it is destroyed. */
const STUCK_MS = 120_000;

/**
 * The live agent shims of the server whose DASH_HOME is `home`: `dash __shim <home>/…/spec.json`.
 * Found by command line, not parentage, so they are found even after the server is gone (a shim
 * outlives it by design). A zombie has an empty command line and is not counted.
 */
export function shimsOf(home: string): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => {
      const argv = readProc(`/proc/${pid}/cmdline`).split("\0");
      return argv.includes("__shim") && argv.some((a) => a.startsWith(`${home}/`));
    });
}

export class SoakLoad {
  readonly counts: SoakCounts = {
    swarmsCreated: 0,
    swarmsDestroyed: 0,
    agentsCompleted: 0,
    agentsFailed: 0,
    requests: 0,
    conflicts: 0,
    events: 0,
    errors: new Map(),
  };
  private running = false;
  private loops: Promise<void>[] = [];
  private ws: WebSocket | null = null;
  /** Swarm id → when it was created, until it is destroyed; `finished` once it completed or failed. */
  private readonly swarms = new Map<string, { created: number; finished: boolean }>();
  private readonly runningAgents = new Set<string>();
  private readonly recentAgents: string[] = [];
  private readonly headers: Record<string, string>;

  constructor(
    private readonly server: BenchServer,
    /** The server's DASH_HOME, where its shims' spec files are. */
    private readonly home: string,
    private readonly options: SoakLoadOptions,
  ) {
    this.headers = { Authorization: `Bearer ${server.key}`, "Content-Type": "application/json" };
  }

  error(kind: string): void {
    this.counts.errors.set(kind, (this.counts.errors.get(kind) ?? 0) + 1);
  }

  /** One request, body read whole; null on a non-2xx answer (counted) or a network error. */
  private async call<T>(method: string, path: string, body?: unknown): Promise<T | null> {
    this.counts.requests++;
    try {
      const init = {
        method,
        headers: this.headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      };
      const response = await fetch(`${this.server.url}${path}`, init);
      const text = await response.text();
      if (response.ok) return JSON.parse(text) as T;
      if (response.status === 409) this.counts.conflicts++;
      else this.error(`HTTP ${response.status} ${method} ${path.replace(/[0-9A-Z]{26}/g, ":id")}`);
    } catch {
      this.error(`network error ${method}`);
    }
    return null;
  }

  start(): void {
    this.running = true;
    this.connect();
    this.loops = [this.swarmLoop(), this.requestLoop()];
  }

  /** Stops the loops, then destroys every swarm left (their agents' shims outlive the server). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    for (const id of [...this.swarms.keys()]) await this.destroy(id);
    const deadline = performance.now() + 15_000;
    while (shimsOf(this.home).length > 0 && performance.now() < deadline) await Bun.sleep(100);
    const left = shimsOf(this.home);
    if (left.length > 0) this.error(`${left.length} shims still alive 15 s after destroy`);
    killShims(this.home);
  }

  /** All events, counted; the ones that say which agents run and which swarms are done are used. */
  private connect(): void {
    const ws = new WebSocket(`${this.server.url.replace("http", "ws")}/events?token=${this.server.key}`);
    this.ws = ws;
    ws.addEventListener("message", (m) => {
      const message = JSON.parse(String(m.data)) as { op?: string; type?: string; source?: string };
      if (message.op || !message.type || !message.source) return;
      this.counts.events++;
      const { type, source } = message;
      if (type === "agent.started") this.runningAgents.add(source);
      else if (type === "agent.completed" || type === "agent.failed" || type === "agent.killed")
        this.runningAgents.delete(source);
      if (type === "agent.completed") this.counts.agentsCompleted++;
      if (type === "agent.failed") this.counts.agentsFailed++;
      if (type === "agent.spawned" && this.recentAgents.push(source) > 20) this.recentAgents.shift();
      const swarm = this.swarms.get(source);
      if (swarm && (type === "swarm.completed" || type === "swarm.failed")) swarm.finished = true;
    });
    ws.addEventListener("close", () => {
      if (this.ws !== ws) return; // closed by stop()
      this.error("/events closed by the server");
      if (this.running) setTimeout(() => this.running && this.connect(), 1000);
    });
  }

  private async destroy(id: string): Promise<void> {
    this.swarms.delete(id);
    if (await this.call("DELETE", `/api/swarm/${id}`)) this.counts.swarmsDestroyed++;
  }

  /** Sleeps up to `ms`, waking early when the soak stops. */
  private async pause(ms: number): Promise<void> {
    const until = performance.now() + ms;
    while (this.running && performance.now() < until)
      await Bun.sleep(Math.min(250, until - performance.now()));
  }

  /** Create a swarm, scale it up a second later, destroy the ones that finished (or got stuck). */
  private async swarmLoop(): Promise<void> {
    const half = Math.max(1, Math.floor(this.options.agentsPerSwarm / 2));
    for (let n = 1; this.running; n++) {
      const started = performance.now();
      for (const [id, swarm] of [...this.swarms]) {
        if (swarm.finished) await this.destroy(id);
        else if (Date.now() - swarm.created > STUCK_MS) {
          this.error("swarm not finished 2 min after creation");
          await this.destroy(id);
        }
      }
      const body = {
        name: `soak-${n}`,
        task: "soak",
        initialAgents: half,
        config: { command: ["sh", "-c", AGENT_SCRIPT], maxRetries: 0 },
      };
      const swarm = await this.call<{ id: string }>("POST", "/api/swarm", body);
      if (swarm) {
        this.counts.swarmsCreated++;
        this.swarms.set(swarm.id, { created: Date.now(), finished: false });
        await this.pause(1000);
        // `target` counts the swarm's unfinished agents: the running half plus the ones added.
        if (this.options.agentsPerSwarm > half)
          await this.call("POST", `/api/swarm/${swarm.id}/scale`, { target: this.options.agentsPerSwarm });
      }
      await this.pause(this.options.swarmEverySeconds * 1000 - (performance.now() - started));
    }
  }

  /** The reads an operator's tools make, plus usage reports over HTTP, at a steady pace. */
  private async requestLoop(): Promise<void> {
    const gap = 1000 / this.options.requestsPerSecond;
    const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];
    const requests: (() => Promise<unknown>)[] = [
      () => this.call("GET", "/health"),
      () => this.call("GET", "/api/agents?limit=50"),
      () => this.call("GET", "/api/swarm?status=active"),
      () => this.call("GET", "/api/budget"),
      async () => {
        const id = pick(this.recentAgents);
        return id ? this.call("GET", `/api/agents/${id}`) : this.call("GET", "/api/agents?status=running");
      },
      async () => {
        const id = pick([...this.runningAgents]);
        const usage = { promptTokens: 10, completionTokens: 5, costUsd: 0.00001 };
        return id ? this.call("POST", `/api/agents/${id}/usage`, usage) : this.call("GET", "/api/swarm");
      },
    ];
    for (let i = 0; this.running; i++) {
      const t0 = performance.now();
      await requests[i % requests.length]?.();
      await this.pause(gap - (performance.now() - t0));
    }
  }
}

/** Synchronous, for a Ctrl-C handler: SIGKILL to every shim's process group (and its agent's). */
export function killShims(home: string): void {
  for (const pid of shimsOf(home)) signalGroup(pid, "SIGKILL");
}
