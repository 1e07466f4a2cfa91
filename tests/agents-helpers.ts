import { afterAll } from "bun:test";
import { Conductor } from "../src/core/conductor.ts";
import { Forecaster } from "../src/core/forecaster.ts";
import { Scheduler } from "../src/core/scheduler.ts";
import type { Provider } from "../src/domain/provider.ts";
import type { SwarmConfig } from "../src/domain/swarm.ts";
import { createLogger } from "../src/log.ts";
import { builtInPresets, type RuntimePreset } from "../src/runtimes/presets.ts";
import { groupAlive } from "../src/runtimes/process.ts";
import type { SandboxSettings } from "../src/safety/sandbox-plan.ts";
import { testServer } from "./api-helpers.ts";
import { testLifecycle } from "./helpers.ts";

/** A real scheduler over a real SQLite file in a temp DASH_HOME, with short timings for tests. */
export async function testScheduler(
  options: {
    maxConcurrency?: number;
    t?: ReturnType<typeof testLifecycle>;
    presets?: Record<string, RuntimePreset>;
    /** DASH_URL as the agents see it (a real server's, when they call the API). */
    url?: string;
    /** Samples budgets (burn rate, projection) this often; off when unset. */
    forecastMs?: number;
    /** The gateway's providers (agents that can are pointed at it). */
    providers?: Record<string, Provider>;
    /** What sandboxes hide and protect (default: DASH_HOME). */
    sandbox?: SandboxSettings;
    /** This scheduler's node (several nodes on one database). */
    nodeId?: string;
  } = {},
) {
  const t = options.t ?? testLifecycle();
  const lines: string[] = [];
  const make = () =>
    new Scheduler(
      t.lifecycle,
      {
        home: t.dir,
        url: options.url ?? "http://127.0.0.1:9",
        // The demo agent in one second instead of ten.
        presets: {
          ...builtInPresets(),
          demo: { ...builtInPresets().demo, kind: "demo", seconds: 1 },
          ...options.presets,
        },
        defaultRuntime: "command",
        maxConcurrency: options.maxConcurrency ?? 8,
        killGraceMs: 500,
        retryBackoffMs: 50,
        pollMs: 20,
        providers: options.providers,
        sandbox: options.sandbox,
        nodeId: options.nodeId,
      },
      createLogger("debug", {}, (l) => lines.push(l)),
    );
  let scheduler = make();
  await scheduler.start();
  const conductor = new Conductor(
    t.lifecycle,
    createLogger("debug", {}, (l) => lines.push(l)),
  );
  await conductor.start();
  const forecaster = new Forecaster(
    t.lifecycle,
    options.forecastMs ?? 0,
    createLogger("debug", {}, (l) => lines.push(l)),
  );
  if (options.forecastMs) forecaster.start();
  const pids = new Set<number>();
  t.bus.subscribe((e) => {
    if (e.type === "agent.started") {
      void t.store.getAgent(String(e.data.agentId)).then((a) => a?.pid && pids.add(a.pid));
    }
  });

  /** Creates an active swarm whose agents run `command`. */
  async function swarm(command: string[], config: Partial<SwarmConfig> = {}, agents = 1, budgetUsd?: number) {
    const created = await t.lifecycle.createSwarm({
      name: `s-${Math.random().toString(36).slice(2, 8)}`,
      task: "test task",
      initialAgents: agents,
      ...(budgetUsd ? { budget: { amount: budgetUsd, currency: "USD" as const } } : {}),
      config: { command, ...config } as SwarmConfig,
    });
    await t.lifecycle.moveSwarm(created.swarm.id, { to: "active" });
    return created;
  }

  /** Waits until the agent is in one of `statuses` (a finished one by default) and returns it. */
  async function waitFor(id: string, statuses = ["completed", "failed", "killed"], ms = 15_000) {
    const end = Date.now() + ms;
    for (;;) {
      const agent = await t.store.getAgent(id);
      if (agent && statuses.includes(agent.status)) return agent;
      if (Date.now() > end) throw new Error(`agent ${id} is ${agent?.status}, not ${statuses.join("/")}`);
      await Bun.sleep(10);
    }
  }

  return {
    t,
    get scheduler() {
      return scheduler;
    },
    lines,
    /** A crash as the agents see it: this scheduler stops following them; a new one starts and recovers. */
    stopFollowing: () => scheduler.stop(),
    startAgain: async () => {
      scheduler = make();
      await scheduler.start();
    },
    swarm,
    waitFor,
    conductor,
    close: async () => {
      await forecaster.stop();
      await conductor.stop();
      await scheduler.stop();
      // Nothing a test started may outlive it.
      for (const pid of pids) if (groupAlive(pid)) process.kill(-pid, "SIGKILL");
      t.close();
    },
  };
}

/** A shell one-liner's argv: the script is ours, never a task. */
export const sh = (script: string) => ["sh", "-c", script];

export const line = (value: unknown) => `echo '${JSON.stringify(value)}'`;

/**
 * A real server and a real scheduler over the same database, agents reaching the server as
 * DASH_URL (they call the API with their own keys); both stop after the file's tests.
 */
export async function serverWithAgents(
  options: { maxConcurrency?: number; presets?: Record<string, RuntimePreset> } = {},
) {
  const api = await testServer();
  const s = await testScheduler({ ...options, t: api.t, url: `http://127.0.0.1:${api.server.port}` });
  afterAll(async () => {
    await s.close();
    api.close();
  });
  return { api, s };
}
