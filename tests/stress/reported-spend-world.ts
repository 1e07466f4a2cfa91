import { readFileSync } from "node:fs";
import { Conductor } from "../../src/core/conductor.ts";
import { Scheduler } from "../../src/core/scheduler.ts";
import type { EventRecord } from "../../src/domain/event.ts";
import { createLogger } from "../../src/log.ts";
import { builtInPresets } from "../../src/runtimes/presets.ts";
import { groupAlive } from "../../src/runtimes/process.ts";
import { testServer } from "../api-helpers.ts";
import { until } from "../helpers.ts";

/** What happened, in the one order it happened in: committed events and signals to process groups. */
export type Happening =
  | {
      kind: "event";
      seq: number;
      /** Date.now() when it was published (agents can stamp their lines with theirs). */
      wall: number;
      event: EventRecord;
      /** Events of one transaction share it (one publish after one COMMIT). */
      batch: number;
      /** The agent's reservation right after this event's transaction. */
      reservedAfter: number | null;
    }
  | {
      kind: "signal";
      seq: number;
      wall: number;
      pgid: number;
      signal: string;
      /** The group leader's ancestors when signalled (an agent under bwrap leads its own group). */
      ancestors: number[];
    };

/** A process's parent, grandparent… as /proc says, while it lives. */
function ancestorsOf(pid: number): number[] {
  const out: number[] = [];
  for (let at = pid; at > 1 && out.length < 32; ) {
    try {
      const stat = readFileSync(`/proc/${at}/stat`, "utf8");
      at = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      out.push(at);
    } catch {
      break;
    }
  }
  return out;
}

/**
 * A real server, scheduler and conductor over one database, with the server's own default poll
 * (100 ms, not the tests' usual 20 ms): whatever bounds reported spend must not be the poll. The
 * kill grace is long enough (3 s) for a flood of reports to end while a killed agent that ignores
 * SIGTERM still lives. The timeline records every event with its transaction, and every signal
 * sent to a process group (process.kill is observed, not changed), so a test can tell whether the
 * SIGSTOP came before the agent's next report was applied (reported-spend-checks.ts).
 */
export async function reportedSpendWorld(
  options: { pollMs?: number; maxConcurrency?: number; killGraceMs?: number } = {},
) {
  const api = await testServer();
  const { t } = api;
  const timeline: Happening[] = [];
  let seq = 0;
  let batch = 0;
  const kill = process.kill.bind(process);
  process.kill = (pid: number, signal?: string | number) => {
    if (pid >= 0 || typeof signal !== "string" || signal === "0") return kill(pid, signal);
    const ancestors = ancestorsOf(-pid);
    const sent = kill(pid, signal);
    // Stamped once sent (reading /proc above can take many ms under load): a line its process
    // stamped by then may have been written before the stop took hold.
    timeline.push({ kind: "signal", seq: seq++, wall: Date.now(), pgid: -pid, signal, ancestors });
    return sent;
  };
  const publish = t.bus.publish.bind(t.bus);
  t.bus.publish = (events) => {
    batch++;
    publish(events);
  };
  const row = t.store.db.query<{ reserved_units: number; pid: number | null }, [string]>(
    "SELECT reserved_units, pid FROM agents WHERE id = ?",
  );
  const pids = new Map<string, number>();
  // Subscribed before the scheduler: each event is on the timeline before the signal it causes.
  t.bus.subscribe((event) => {
    const agentId = typeof event.data.agentId === "string" ? event.data.agentId : null;
    const now = agentId ? row.get(agentId) : null;
    if (agentId && now?.pid && event.type === "agent.started") pids.set(agentId, now.pid);
    const reservedAfter = now?.reserved_units ?? null;
    timeline.push({ kind: "event", seq: seq++, wall: Date.now(), event, batch, reservedAfter });
  });
  const lines: string[] = [];
  const log = createLogger("debug", {}, (l) => lines.push(l));
  const scheduler = new Scheduler(
    t.lifecycle,
    {
      home: t.dir,
      url: `http://127.0.0.1:${api.server.port}`,
      presets: builtInPresets(),
      defaultRuntime: "command",
      maxConcurrency: options.maxConcurrency ?? 10,
      killGraceMs: options.killGraceMs ?? 3000,
      retryBackoffMs: 50,
      pollMs: options.pollMs ?? 100,
    },
    log,
  );
  await scheduler.start();
  const conductor = new Conductor(t.lifecycle, log);
  await conductor.start();

  /** Ends every agent of the swarm and waits until none is followed any more (room for the next test). */
  async function endSwarm(swarmId: string) {
    for (const agent of await t.store.listAgents({ swarmId })) {
      await t.lifecycle.moveAgent(agent.id, { to: "killed" }).catch(() => null);
    }
    await until(() => scheduler.keeper.size === 0, 10_000);
  }

  return {
    api,
    t,
    scheduler,
    conductor,
    timeline,
    lines,
    pids,
    endSwarm,
    close: async () => {
      await conductor.stop();
      await scheduler.stop();
      for (const pid of pids.values()) if (groupAlive(pid)) kill(-pid, "SIGKILL");
      process.kill = kill;
      await api.close();
    },
  };
}

export type World = Awaited<ReturnType<typeof reportedSpendWorld>>;
