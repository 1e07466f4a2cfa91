import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { EventBus } from "../../src/bus/bus.ts";
import { TableFeed } from "../../src/core/event-feed.ts";
import { Lifecycle } from "../../src/core/lifecycle.ts";
import type { AgentRecord } from "../../src/domain/agent.ts";
import type { ApiKeyRecord } from "../../src/domain/api-key.ts";
import type { BudgetRecord } from "../../src/domain/budget.ts";
import { ConcurrencyConflictError, DashError } from "../../src/domain/errors.ts";
import type { NewEvent } from "../../src/domain/event.ts";
import { newId } from "../../src/domain/ids.ts";
import type { NewModelCall } from "../../src/domain/model-call.ts";
import type { ChainBudget } from "../../src/safety/budget.ts";
import type { CallAdmitted } from "../../src/storage/call-store.ts";
import { PostgresStore } from "../../src/storage/postgres.ts";
import { transaction } from "../../src/storage/postgres-db.ts";
import { SqliteStore } from "../../src/storage/sqlite.ts";
import type { Family, NewAgent, Store } from "../../src/storage/store.ts";
import { tempHome } from "../helpers.ts";
import { lazyPostgresStore, newPostgresDatabase, postgresMissing } from "../pg-server.ts";

/**
 * ONE suite, run against every store: what store.ts promises, checked on SQLite and on a real
 * PostgreSQL server (tests/pg-server.ts). A case here that passes on one store and fails on the
 * other is a difference of semantics, i.e. a bug.
 */
type Kind = "sqlite" | "postgres";

interface Harness {
  store: Store;
  lifecycle: Lifecycle;
  /** Another store on the same database: a second process, or a second node. */
  other(): Promise<Store>;
  close(): Promise<void>;
}

async function closeStore(store: Store) {
  if (store instanceof PostgresStore) await store.end();
  else store.close();
}

async function openHarness(kind: Kind, now?: () => number): Promise<Harness> {
  const opened: Store[] = [];
  let open: () => Promise<Store>;
  let cleanup = () => {};
  if (kind === "sqlite") {
    const home = tempHome();
    const path = `${home.dir}/dash.db`;
    open = async () => SqliteStore.open(path, { now });
    cleanup = home.cleanup;
  } else {
    const url = await newPostgresDatabase();
    open = () => PostgresStore.open(url, { now });
  }
  const store = await open();
  opened.push(store);
  return {
    store,
    lifecycle: new Lifecycle(store, new EventBus(), { now }),
    async other() {
      const more = await open();
      opened.push(more);
      return more;
    },
    async close() {
      for (const s of opened) await closeStore(s);
      cleanup();
    },
  };
}

const draftAgent = (swarmId: string, patch: Partial<NewAgent> = {}): NewAgent => {
  const now = Date.now();
  return {
    id: newId(),
    name: "extra",
    status: "idle",
    swarmId,
    parentId: null,
    task: "t",
    model: "m",
    progressCurrent: 0,
    progressTotal: 0,
    promptTokens: 0,
    completionTokens: 0,
    costMicros: 0,
    sessionId: null,
    metadata: {},
    result: null,
    error: null,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    completedAt: null,
    retryCount: 0,
    maxRetries: 3,
    logOffset: 0,
    pid: null,
    exitCode: null,
    role: "worker",
    position: 0,
    input: null,
    reservedUnits: 0,
    heldBy: null,
    sandbox: null,
    metering: null,
    nodeId: null,
    ...patch,
  };
};

const note = (source: string, n = 0): NewEvent => ({ type: "agent.progress", source, data: { n } });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof DashError ? error.code : String(error);
  }
  return "resolved";
}

async function swarm(h: Harness, initialAgents = 2, amount = 10) {
  return h.lifecycle.createSwarm({ name: "c", task: "t", initialAgents, budget: { amount } });
}

async function running(h: Harness, id: string): Promise<AgentRecord> {
  await h.lifecycle.moveAgent(id, { to: "spawning" });
  return h.lifecycle.moveAgent(id, { to: "running" });
}

/** Spends `units` on the agent and every budget of its chain, or refuses when one has no room. */
const spend =
  (units: number, seen?: (chain: ChainBudget[]) => void) => (agent: AgentRecord, chain: ChainBudget[]) => {
    seen?.(chain);
    for (const { budget } of chain) {
      if (budget.spentUnits + units > budget.allocatedUnits)
        throw new DashError("BUDGET_EXCEEDED", "no room");
    }
    return {
      agent: { costMicros: agent.costMicros + units },
      budgets: chain.map(({ budget }) => ({ budget, patch: { spentUnits: budget.spentUnits + units } })),
      events: [{ type: "agent.usage" as const, source: agent.id, data: { units } }],
    };
  };

const KINDS: Kind[] = ["sqlite", "postgres"];

for (const kind of KINDS) {
  const missing = kind === "postgres" ? postgresMissing() : null;
  if (missing && process.env.CI) {
    test(`${kind} store contract`, () => {
      throw new Error(`the PostgreSQL half of the store contract cannot run in CI: ${missing}`);
    });
    continue;
  }
  (missing ? describe.skip : describe)(`store contract: ${kind}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await openHarness(kind);
    });
    afterAll(() => h.close());

    test("inserts a swarm with its budget and agents, and reads each back", async () => {
      const { swarm: s, agents } = await swarm(h, 3);
      const read = await h.store.getSwarm(s.id);
      expect(read).toEqual({ ...s, agentCount: 3 });
      expect(typeof read?.createdAt).toBe("number");
      for (const a of agents) expect(await h.store.getAgent(a.id)).toEqual(a);
      expect((await h.store.listSwarms({ status: "creating" })).map((x) => x.id)).toContain(s.id);
      expect((await h.store.listSwarms({ status: "active" })).map((x) => x.id)).not.toContain(s.id);
      expect((await h.store.listSwarms()).length).toBeGreaterThanOrEqual(1);

      const ids = agents.map((a) => a.id).sort();
      expect((await h.store.listAgents({ swarmId: s.id })).map((a) => a.id)).toEqual(ids);
      expect((await h.store.listAgents({ swarmId: s.id, limit: 2 })).map((a) => a.id)).toEqual(
        ids.slice(0, 2),
      );
      expect((await h.store.listAgents({ swarmId: s.id, afterId: ids[0] })).map((a) => a.id)).toEqual(
        ids.slice(1),
      );
      expect(await h.store.listAgents({ swarmId: s.id, status: "idle" })).toHaveLength(3);
      expect(await h.store.listAgents({ swarmId: s.id, held: true })).toHaveLength(0);
      expect(await h.store.listAgents({ parentId: ids[0] })).toHaveLength(0);

      const budget = await h.store.getBudget("swarm", s.id);
      expect(budget).toMatchObject({
        allocatedUnits: 10_000_000,
        spentUnits: 0,
        currency: "USD",
        version: 1,
      });
      expect(await h.store.listBudgets({ entityType: "swarm", entityId: s.id })).toEqual([
        budget as BudgetRecord,
      ]);
      expect((await h.store.listBudgets()).length).toBeGreaterThanOrEqual(1);
      expect(await h.store.getSwarm("nope")).toBeNull();
      expect(await h.store.getAgent("nope")).toBeNull();
      expect(await h.store.getBudget("agent", "nope")).toBeNull();
      const created = await h.store.listEvents({ types: ["swarm.created"] });
      expect(created.filter((e) => e.source === s.id)).toHaveLength(1);
    });

    test("insertAgent shows decide the swarm and the parent's depth and children", async () => {
      const { swarm: s, agents } = await swarm(h, 1);
      const root = agents[0] as AgentRecord;
      const seen: (Family | null)[] = [];
      const add = (parentId: string | null) =>
        h.store.insertAgent(draftAgent(s.id, { parentId }), (sw, parent) => {
          expect(sw.id).toBe(s.id);
          seen.push(parent);
          return [note(s.id)];
        });
      const child = await add(root.id);
      await add(child.record.id);
      await add(root.id);
      await add(null);
      expect(seen).toEqual([
        { depth: 0, children: 0 },
        { depth: 1, children: 0 },
        { depth: 0, children: 1 },
        null,
      ]);
      expect(child.record).toMatchObject({ parentId: root.id, version: 1 });
      expect(child.events).toHaveLength(1);
      expect((await h.store.getSwarm(s.id))?.agentCount).toBe(5);
      expect(await codeOf(h.store.insertAgent(draftAgent("nope"), () => []))).toBe("NOT_FOUND");
      const refused = draftAgent(s.id);
      const boom = h.store.insertAgent(refused, () => {
        throw new DashError("VALIDATION_ERROR", "no");
      });
      expect(await codeOf(boom)).toBe("VALIDATION_ERROR");
      expect(await h.store.getAgent(refused.id)).toBeNull();
    });

    test("updateAgent, updateSwarm, updateBudget: patch, version + 1, events; a stale version is a conflict", async () => {
      const { swarm: s, agents } = await swarm(h, 1);
      const id = (agents[0] as AgentRecord).id;
      const moved = await h.lifecycle.moveAgent(id, { to: "spawning" });
      expect(moved.version).toBe(2);
      const before = (await h.store.listEvents()).length;
      const stale = h.lifecycle.moveAgent(id, { to: "running", expectedVersion: 1 });
      await expect(stale).rejects.toBeInstanceOf(ConcurrencyConflictError);
      expect((await h.store.getAgent(id))?.status).toBe("spawning");
      expect(await h.store.listEvents()).toHaveLength(before);

      const patch = {
        metadata: { k: "v" },
        result: { x: [1, 2] },
        progressCurrent: 2,
        progressTotal: 5,
        pid: 42,
      };
      const written = await h.store.updateAgent(id, () => ({ patch, events: [note(id, 1), note(id, 2)] }));
      expect(written.record).toMatchObject({ ...patch, version: 3 });
      expect(await h.store.getAgent(id)).toEqual(written.record);
      expect(written.events.map((e) => e.data.n)).toEqual([1, 2]);
      expect((written.events[0]?.id as string) < (written.events[1]?.id as string)).toBe(true);

      const active = await h.store.updateSwarm(s.id, (sw) => ({
        patch: { status: "active", config: { ...sw.config, maxDepth: 2 } },
        events: [],
      }));
      expect(active.record).toMatchObject({ status: "active", version: 2, agentCount: 1 });
      expect(active.record.config.maxDepth).toBe(2);
      await expect(h.lifecycle.moveSwarm(s.id, { to: "paused", expectedVersion: 1 })).rejects.toBeInstanceOf(
        ConcurrencyConflictError,
      );
      await expect(h.lifecycle.scaleSwarm(s.id, 2, 1)).rejects.toBeInstanceOf(ConcurrencyConflictError);

      const forecast = { ewma: 1.25, since: 1, at: 2, spent: 3, minutesLeft: null, projectedAlerted: false };
      const budget = await h.store.updateBudget("swarm", s.id, (b) => ({
        patch: {
          allocatedUnits: b.allocatedUnits + 5,
          burnRate: 1.5,
          projectedFinalUnits: 7,
          lastAlertAt: 9,
          forecast,
        },
        events: [note(s.id)],
      }));
      expect(budget.record).toMatchObject({
        allocatedUnits: 10_000_005,
        burnRate: 1.5,
        forecast,
        version: 2,
      });
      await expect(h.lifecycle.allocateBudget({ swarmId: s.id }, 1, 1)).rejects.toBeInstanceOf(
        ConcurrencyConflictError,
      );
      expect((await h.lifecycle.allocateBudget({ swarmId: s.id }, 1, 2)).allocatedUnits).toBe(11_000_005);

      for (const write of [
        () => h.store.updateAgent("nope", () => ({ patch: {}, events: [] })),
        () => h.store.updateSwarm("nope", () => ({ patch: {}, events: [] })),
        () => h.store.updateBudget("swarm", "nope", () => ({ patch: {}, events: [] })),
        () => h.store.changeSwarm("nope", () => null),
        () => h.store.meterAgent("nope", spend(1)),
      ])
        expect(await codeOf(write())).toBe("NOT_FOUND");
    });

    test("changeSwarm adds and stops agents in one transaction; a stale agent writes nothing", async () => {
      const { swarm: s, agents } = await swarm(h, 3);
      const [first, second] = agents as [AgentRecord, AgentRecord];
      const added = draftAgent(s.id);
      const result = await h.store.changeSwarm(s.id, (sw, all, budget) => {
        expect(all.map((a) => a.id)).toEqual(agents.map((a) => a.id).sort());
        expect(budget?.entityId).toBe(s.id);
        return {
          patch: { targetAgentCount: 3, status: "active" },
          added: [added],
          stopped: [{ agent: first, change: { patch: { status: "killed", completedAt: 5 }, events: [] } }],
          events: [{ type: "swarm.scaled", source: sw.id, data: { target: 3 } }],
        };
      });
      expect(result.record).toMatchObject({ agentCount: 4, targetAgentCount: 3, version: 2 });
      expect(result.events.map((e) => e.type)).toEqual(["swarm.scaled"]);
      expect(await h.store.getAgent(first.id)).toMatchObject({
        status: "killed",
        completedAt: 5,
        version: 2,
      });
      expect(await h.store.getAgent(added.id)).toMatchObject({ status: "idle", version: 1 });

      const unchanged = await h.store.changeSwarm(s.id, () => null);
      expect(unchanged).toEqual({ record: result.record, events: [] });

      // `first` is now at version 2: handing the old record back is what a lost update looks like.
      const late = draftAgent(s.id);
      const conflict = h.store.changeSwarm(s.id, () => ({
        patch: { targetAgentCount: 9 },
        added: [late],
        stopped: [
          { agent: second, change: { patch: { status: "killed" }, events: [] } },
          { agent: first, change: { patch: { status: "idle" }, events: [] } },
        ],
        events: [note(s.id)],
      }));
      await expect(conflict).rejects.toBeInstanceOf(ConcurrencyConflictError);
      expect(await h.store.getSwarm(s.id)).toEqual(result.record);
      expect(await h.store.getAgent(late.id)).toBeNull();
      expect((await h.store.getAgent(second.id))?.status).toBe("idle");
    });

    test("meterAgent reads the chain agent → swarm → project, locked, and spends on each exactly", async () => {
      await h.lifecycle.allocateBudget({ project: `p-${kind}` }, 10);
      const created = await h.lifecycle.createSwarm({
        name: "chain",
        task: "t",
        budget: { amount: 10, project: `p-${kind}` },
      });
      const id = (created.agents[0] as AgentRecord).id;
      await h.lifecycle.allocateBudget({ agentId: id }, 2);
      let chain: ChainBudget[] = [];
      const metered = await h.store.meterAgent(
        id,
        spend(700, (c) => (chain = c)),
      );
      expect(chain.map((c) => c.budget.entityType)).toEqual(["agent", "swarm", "project"]);
      expect(metered.record).toMatchObject({ costMicros: 700, version: 2 });
      expect(metered.budgets.map((b) => b.spentUnits)).toEqual([700, 700, 700]);
      expect(metered.events.map((e) => e.type)).toEqual(["agent.usage"]);

      await running(h, id);
      const usage = await h.lifecycle.recordUsage(id, {
        promptTokens: 3,
        completionTokens: 4,
        costUsd: 0.25,
      });
      expect(usage.agent).toMatchObject({ costMicros: 250_700, promptTokens: 3, completionTokens: 4 });
      expect(usage.budgets.map((b) => b.spentUnits)).toEqual([250_700, 250_700, 250_700]);
      for (const [type, entity] of [
        ["agent", id],
        ["swarm", created.swarm.id],
      ] as const)
        expect((await h.store.getBudget(type, entity))?.spentUnits).toBe(250_700);

      // A running agent holds its next step on every budget above it.
      const step = (await h.store.getAgent(id))?.reservedUnits as number;
      expect(step).toBeGreaterThan(0);
      const swarmBudget = (await h.store.getBudget("swarm", created.swarm.id)) as BudgetRecord;
      expect(await h.store.reservedUnits(swarmBudget)).toBe(step);
      await h.store.meterAgent(
        id,
        spend(0, (c) => (chain = c)),
      );
      expect(chain.map((c) => c.reserved)).toEqual([step, step, step]);

      const stale = { ...(metered.budgets[1] as BudgetRecord), version: 1 };
      const conflict = h.store.meterAgent(id, (agent) => ({
        agent: { costMicros: agent.costMicros + 1 },
        budgets: [{ budget: stale, patch: { spentUnits: 1 } }],
        events: [],
      }));
      await expect(conflict).rejects.toBeInstanceOf(ConcurrencyConflictError);
      expect((await h.store.getAgent(id))?.costMicros).toBe(250_700);
    });

    test("approvals: the ask pauses the agent, the last answer lets it go on", async () => {
      const { swarm: s, agents } = await swarm(h, 1);
      const agent = await running(h, (agents[0] as AgentRecord).id);
      const now = Date.now();
      const ask = (title: string, agentId: string | null = agent.id) => ({
        id: newId(),
        kind: agentId ? ("agent" as const) : ("budget" as const),
        swarmId: s.id,
        agentId,
        title,
        details: { title },
        context: null,
        onTimeout: "deny" as const,
        createdAt: now,
        expiresAt: now + 1000,
      });
      const seen: (string | null)[] = [];
      const pause = (a: AgentRecord | null) => {
        seen.push(a?.status ?? null);
        return a?.status === "running"
          ? { agent: { status: "paused" as const, heldBy: "approval" }, events: [note(a.id)] }
          : { events: [] };
      };
      const one = await h.store.insertApproval(ask("one"), pause);
      const two = await h.store.insertApproval(ask("two"), pause);
      const budgetAsk = await h.store.insertApproval(ask("money", null), pause);
      expect(seen).toEqual(["running", "paused", null]);
      expect(one.record).toMatchObject({
        status: "pending",
        version: 1,
        details: { title: "one" },
        resolvedAt: null,
      });
      expect(one.events).toHaveLength(1);
      expect(await h.store.getAgent(agent.id)).toMatchObject({ status: "paused", heldBy: "approval" });
      expect(await h.store.getApproval(one.record.id)).toEqual(one.record);
      expect(await h.store.getApproval("nope")).toBeNull();

      const listed = await h.store.listApprovals({ swarmId: s.id });
      expect(listed.map((a) => a.id)).toEqual([budgetAsk.record.id, two.record.id, one.record.id]);
      expect(await h.store.listApprovals({ agentId: agent.id, status: "pending" })).toHaveLength(2);
      expect(await h.store.listApprovals({ swarmId: s.id, limit: 1 })).toHaveLength(1);
      expect(await h.store.listApprovals({ swarmId: s.id, expiredAt: now + 999 })).toHaveLength(0);
      expect(await h.store.listApprovals({ swarmId: s.id, expiredAt: now + 1000 })).toHaveLength(3);
      expect((await h.store.listApprovals()).length).toBeGreaterThanOrEqual(3);

      const answers: [number, boolean][] = [];
      const answer = (
        approval: { version: number },
        a: AgentRecord | null,
        others: number,
        active: boolean,
      ) => {
        answers.push([others, active]);
        const patch = { status: "approved" as const, resolvedAt: Date.now(), resolvedBy: "k", reason: "ok" };
        const resume = others === 0 && a ? { status: "running" as const, heldBy: null } : undefined;
        return {
          patch,
          agent: resume,
          events: [{ type: "approval.resolved" as const, source: s.id, data: approval }],
        };
      };
      const first = await h.store.updateApproval(one.record.id, answer);
      expect(first.record).toMatchObject({ status: "approved", resolvedBy: "k", reason: "ok", version: 2 });
      expect((await h.store.getAgent(agent.id))?.status).toBe("paused");
      await h.lifecycle.moveSwarm(s.id, { to: "active" });
      await h.store.updateApproval(two.record.id, answer);
      await h.store.updateApproval(budgetAsk.record.id, answer);
      expect(answers).toEqual([
        [1, false],
        [0, true],
        [0, false],
      ]);
      expect(await h.store.getAgent(agent.id)).toMatchObject({ status: "running", heldBy: null });
      expect(await codeOf(h.store.updateApproval("nope", answer))).toBe("NOT_FOUND");
      expect(await codeOf(h.store.insertApproval(ask("x", "nope"), pause))).toBe("NOT_FOUND");
    });

    test("model calls: admitted with the chain's holds, settled once, lost, listed and summed", async () => {
      const { swarm: s, agents } = await swarm(h, 1);
      const agent = await running(h, (agents[0] as AgentRecord).id);
      const step = agent.reservedUnits;
      const call = (model = "m1"): NewModelCall => ({
        id: newId(),
        agentId: agent.id,
        swarmId: s.id,
        provider: "p",
        api: "openai-chat",
        model,
        stream: true,
        requestedMaxTokens: 100,
        startedAt: Date.now(),
      });
      const chains: ChainBudget[][] = [];
      const open = (units: number) => (_a: AgentRecord, chain: ChainBudget[]) => {
        chains.push(chain);
        const c = {
          status: "open" as const,
          maxTokens: 50,
          reservedUnits: units,
          error: null,
          httpStatus: null,
        };
        return { call: c, events: [] };
      };
      const a = (await h.store.admitCall(call(), open(5000))) as CallAdmitted;
      const b = (await h.store.admitCall(call(), open(3000))) as CallAdmitted;
      expect(a.call).toMatchObject({
        status: "open",
        stream: true,
        reservedUnits: 5000,
        maxTokens: 50,
        endedAt: null,
      });
      expect(a.record).toEqual(agent);
      expect(chains[1]?.map((c) => [c.reserved, c.inFlight])).toEqual([[step + 5000, 5000]]);
      const swarmBudget = (await h.store.getBudget("swarm", s.id)) as BudgetRecord;
      expect(await h.store.reservedUnits(swarmBudget)).toBe(step + 8000);

      const waiting = call();
      expect(await h.store.admitCall(waiting, () => null)).toBeNull();
      expect(await h.store.getCall(waiting.id)).toBeNull();
      const refused = (await h.store.admitCall(call("m2"), () => ({
        call: { status: "refused", maxTokens: null, reservedUnits: 0, error: "no room", httpStatus: 400 },
        agent: { metering: "gateway" },
        events: [note(agent.id)],
      }))) as CallAdmitted;
      expect(refused.call).toMatchObject({ status: "refused", error: "no room", httpStatus: 400 });
      expect(refused.call.endedAt).not.toBeNull();
      expect(refused.record).toMatchObject({ metering: "gateway", version: agent.version + 1 });

      const end = {
        status: "settled" as const,
        promptTokens: 10,
        completionTokens: 5,
        costMicros: 1234,
        httpStatus: 200,
        error: null,
        firstByteMs: 3,
        latencyMs: 9,
      };
      const settle = (callId: string) =>
        h.store.settleCall(callId, (_c, ag, chain) => ({
          call: end,
          agent: { costMicros: ag.costMicros + end.costMicros },
          budgets: chain.map(({ budget }) => ({
            budget,
            patch: { spentUnits: budget.spentUnits + end.costMicros },
          })),
          events: [note(ag.id)],
        }));
      const settled = await settle(a.call.id);
      expect(settled.call).toMatchObject({ ...end, reservedUnits: 0 });
      expect(settled.record.costMicros).toBe(1234);
      expect(settled.budgets.map((x) => x.spentUnits)).toEqual([1234]);
      expect(await codeOf(settle(a.call.id))).toBe("NOT_FOUND");
      expect(await codeOf(settle("nope"))).toBe("NOT_FOUND");
      expect((await h.store.getAgent(agent.id))?.costMicros).toBe(1234);

      const lost = await h.store.loseOpenCalls(Date.now());
      expect(lost.filter((c) => c.swarmId === s.id).map((c) => [c.id, c.status])).toEqual([
        [b.call.id, "lost"],
      ]);
      expect(await h.store.reservedUnits(swarmBudget)).toBe(step);

      const listed = await h.store.listCalls({ agentId: agent.id });
      expect(listed.map((c) => c.id)).toEqual([refused.call.id, b.call.id, a.call.id]);
      expect(
        (await h.store.listCalls({ swarmId: s.id, beforeId: refused.call.id, limit: 1 })).map((c) => c.id),
      ).toEqual([b.call.id]);
      expect(await h.store.getCall(a.call.id)).toEqual(settled.call);
      expect(await h.store.modelSpend({ swarmId: s.id })).toEqual([
        { model: "m1", calls: 2, refused: 0, promptTokens: 10, completionTokens: 5, costMicros: 1234 },
        { model: "m2", calls: 1, refused: 1, promptTokens: 0, completionTokens: 0, costMicros: 0 },
      ]);
      expect((await h.store.modelSpend()).length).toBeGreaterThanOrEqual(2);
    });

    test("api keys: insert, find by hash, list, update; a duplicate hash is refused", async () => {
      const key = (name: string, scope: ApiKeyRecord["scope"] = null): ApiKeyRecord => ({
        id: newId(),
        name,
        keyHash: `hash-${name}-${kind}`,
        permissions: ["read", "write"],
        createdAt: 1,
        lastUsedAt: null,
        expiresAt: 99,
        isActive: true,
        scope,
      });
      const plain = key("plain");
      const scoped = key("scoped", { swarmId: "s", agentId: "a" });
      await h.store.insertApiKey(plain);
      await h.store.insertApiKey(scoped);
      expect(await h.store.findApiKeyByHash(scoped.keyHash)).toEqual(scoped);
      expect(await h.store.findApiKeyByHash("nope")).toBeNull();
      expect((await h.store.listApiKeys()).map((k) => k.id)).toEqual([plain.id, scoped.id]);
      expect(await h.store.updateApiKey(plain.id, { isActive: false })).toEqual({
        ...plain,
        isActive: false,
      });
      expect(await h.store.updateApiKey(plain.id, { lastUsedAt: 5 })).toEqual({
        ...plain,
        isActive: false,
        lastUsedAt: 5,
      });
      expect(await h.store.updateApiKey("nope", { isActive: true })).toBeNull();
      await expect(h.store.insertApiKey({ ...key("dup"), keyHash: plain.keyHash })).rejects.toThrow(/UNIQUE/);
    });

    test("two stores on one database: each sees the other's writes, one of two same-version writers wins", async () => {
      const other = await h.other();
      const { agents } = await swarm(h, 1);
      const agent = await running(h, (agents[0] as AgentRecord).id);
      expect(await other.getAgent(agent.id)).toEqual(agent);
      const there = new Lifecycle(other, new EventBus());
      const outcomes = await Promise.allSettled([
        h.lifecycle.moveAgent(agent.id, { to: "paused", expectedVersion: agent.version }),
        there.moveAgent(agent.id, { to: "completed", expectedVersion: agent.version }),
      ]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
      const lost = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(ConcurrencyConflictError);
      expect((await h.store.getAgent(agent.id))?.version).toBe(agent.version + 1);
      // A project budget made by two writers at once: the loser sees the row and adds to it.
      const made = await Promise.all([
        h.lifecycle.allocateBudget({ project: `race-${kind}` }, 1),
        there.allocateBudget({ project: `race-${kind}` }, 2),
      ]);
      expect(made.map((b) => b.id)[0]).toBe(made[1]?.id as string);
      expect((await h.store.getBudget("project", `race-${kind}`))?.allocatedUnits).toBe(3_000_000);
    });

    test("nodes: a heartbeat makes then refreshes its row; each lists its live agents, freshest first", async () => {
      const row = (id: string, heartbeatAt: number) => ({
        id,
        name: "h",
        url: null,
        version: "v",
        startedAt: 1,
        heartbeatAt,
      });
      await h.store.heartbeatNode(row("node-old", 1000));
      await h.store.heartbeatNode(row("node-new", 2000));
      await h.store.heartbeatNode({ ...row("node-old", 3000), url: "http://10.0.0.1:7373" });
      const { agents } = await swarm(h, 2);
      const first = agents[0] as AgentRecord;
      await h.lifecycle.moveAgent(first.id, { to: "spawning", run: { nodeId: "node-old" } });
      const nodes = (await h.store.listNodes()).filter((n) => n.id.startsWith("node-"));
      expect(nodes.map((n) => [n.id, n.heartbeatAt, n.liveAgents, n.url])).toEqual([
        ["node-old", 3000, 1, "http://10.0.0.1:7373"],
        ["node-new", 2000, 0, null],
      ]);
      expect((await h.store.getAgent(first.id))?.nodeId).toBe("node-old");
    });

    test("integrity, ping, metrics and the newest event", async () => {
      expect(await h.store.checkIntegrity()).toEqual([]);
      await h.store.ping();
      const metrics = await h.store.metricsSnapshot();
      expect(metrics.events).toBe((await h.store.listEvents()).length);
      expect(metrics.agents.reduce((n, a) => n + a.n, 0)).toBe((await h.store.listAgents()).length);
      expect(metrics.spend.every((s) => typeof s.spent === "number")).toBe(true);
      expect(metrics.calls.every((c) => typeof c.cost === "number")).toBe(true);
      expect(await h.store.lastEventId()).toBe((await h.store.listEvents()).at(-1)?.id as string);
    });
  });

  (missing ? describe.skip : describe)(`event log: ${kind}`, () => {
    let clock = 1000;
    let h: Harness;
    beforeAll(async () => {
      h = await openHarness(kind, () => clock);
    });
    afterAll(() => h.close());

    test("listEvents pages by afterId, since, types and limit; pruneEvents deletes the oldest", async () => {
      expect(await h.store.lastEventId()).toBeNull();
      const { swarm: s } = await swarm(h, 1);
      for (const at of [1000, 2000, 3000]) {
        clock = at;
        for (let i = 0; i < 5; i++) {
          const type = i % 2 ? ("agent.usage" as const) : ("agent.progress" as const);
          await h.store.updateSwarm(s.id, () => ({
            patch: {},
            events: [{ type, source: s.id, data: { at, i } }],
          }));
        }
      }
      const all = await h.store.listEvents();
      expect(all).toHaveLength(17); // swarm.created, agent.spawned, 15 written here
      expect(all.map((e) => e.id)).toEqual(all.map((e) => e.id).sort());
      expect(await h.store.listEvents({ limit: 4 })).toEqual(all.slice(0, 4));
      const paged = [];
      for (let after: string | undefined; ; ) {
        const page = await h.store.listEvents({ afterId: after, limit: 4 });
        if (page.length === 0) break;
        paged.push(...page);
        after = page.at(-1)?.id;
      }
      expect(paged).toEqual(all);
      expect(await h.store.listEvents({ since: 2000 })).toEqual(all.filter((e) => e.timestamp >= 2000));
      const usage = await h.store.listEvents({ types: ["agent.usage", "swarm.created"] });
      expect(usage.map((e) => e.type)).toEqual(["swarm.created", ...Array(6).fill("agent.usage")]);
      const mixed = await h.store.listEvents({
        afterId: all[5]?.id,
        since: 2000,
        types: ["agent.progress"],
        limit: 2,
      });
      expect(mixed.map((e) => e.data)).toEqual([
        { at: 2000, i: 0 },
        { at: 2000, i: 2 },
      ]);
      expect(await h.store.lastEventId()).toBe(all[16]?.id as string);

      expect(await h.store.pruneEvents({ before: 2000, keepRows: 1_000_000, batchSize: 1000 })).toBe(7);
      expect(await h.store.listEvents()).toEqual(all.slice(7));
      // A cursor on a pruned event still means "after it".
      expect(await h.store.listEvents({ afterId: all[3]?.id })).toEqual(all.slice(7));
      expect(await h.store.pruneEvents({ before: 0, keepRows: 4, batchSize: 3 })).toBe(3);
      expect(await h.store.pruneEvents({ before: 0, keepRows: 4, batchSize: 3 })).toBe(3);
      expect(await h.store.pruneEvents({ before: 0, keepRows: 4, batchSize: 3 })).toBe(0);
      expect(await h.store.listEvents()).toEqual(all.slice(13));
    });
  });
}

/**
 * What only a shared server can show: two pools in one process are two `dash serve` nodes on one
 * database (each its own connections, its own transactions), writing the same rows at once.
 */
const pgMissing = postgresMissing();
(pgMissing ? describe.skip : describe)("postgres: two nodes on one database", () => {
  let url: string;
  let nodes: [PostgresStore, PostgresStore];
  let lifecycle: Lifecycle;
  beforeAll(async () => {
    url = await newPostgresDatabase();
    nodes = [await PostgresStore.open(url), await PostgresStore.open(url, { max: 4 })];
    lifecycle = new Lifecycle(nodes[0], new EventBus());
  });
  afterAll(async () => {
    for (const node of nodes) await node.end();
  });

  test("20 parallel meters from two nodes on one budget chain: no update lost, the budget never passed", async () => {
    // 15 steps of 1000 micro-USD fit the swarm's budget: 5 of the 20 must be refused. Four agents
    // share it, so only the budget rows' locks (not the agent's) can keep the sum right.
    await lifecycle.allocateBudget({ project: "nodes" }, 1);
    const { swarm: s, agents } = await lifecycle.createSwarm({
      name: "n",
      task: "t",
      initialAgents: 4,
      budget: { amount: 0.015, project: "nodes" },
    });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        nodes[i % 2]?.meterAgent((agents[i % 4] as AgentRecord).id, spend(1000)),
      ),
    );
    const refused = outcomes.filter((o) => o.status === "rejected") as PromiseRejectedResult[];
    expect(outcomes.length - refused.length).toBe(15);
    expect(refused.map((o) => (o.reason as DashError).code)).toEqual(Array(5).fill("BUDGET_EXCEEDED"));
    const spent = await Promise.all(
      agents.map(async (a) => (await nodes[1].getAgent(a.id))?.costMicros ?? 0),
    );
    expect(spent.reduce((x, y) => x + y, 0)).toBe(15_000);
    expect((await nodes[1].getBudget("swarm", s.id))?.spentUnits).toBe(15_000);
    expect((await nodes[1].getBudget("project", "nodes"))?.spentUnits).toBe(15_000);
    const usage = await nodes[0].listEvents({ types: ["agent.usage"] });
    expect(usage.filter((e) => agents.some((a) => a.id === e.source))).toHaveLength(15);
  });

  test("3 nodes × 20 writers on one budget chain: the limit never passed, no usage report lost", async () => {
    // Room for 45 steps of 1000 micro-USD; 60 writers from 3 pools ("nodes"), 20 each, at once.
    const three = [...nodes, await PostgresStore.open(url, { max: 4 })];
    try {
      await lifecycle.allocateBudget({ project: "three" }, 1);
      const { swarm: s, agents } = await lifecycle.createSwarm({
        name: "three",
        task: "t",
        initialAgents: 6,
        budget: { amount: 0.045, project: "three" },
      });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 60 }, (_, i) =>
          three[i % 3]?.meterAgent((agents[i % 6] as AgentRecord).id, spend(1000)),
        ),
      );
      const refused = outcomes.filter((o) => o.status === "rejected") as PromiseRejectedResult[];
      expect(outcomes.length - refused.length).toBe(45);
      expect(refused.every((o) => (o.reason as DashError).code === "BUDGET_EXCEEDED")).toBe(true);
      expect((await three[2]?.getBudget("swarm", s.id))?.spentUnits).toBe(45_000);
      expect((await three[1]?.getBudget("project", "three"))?.spentUnits).toBe(45_000);
      const costs = await Promise.all(
        agents.map(async (a) => (await three[0]?.getAgent(a.id))?.costMicros ?? 0),
      );
      expect(costs.reduce((x, y) => x + y, 0)).toBe(45_000);
      // Every admitted report is an event: none lost between the three writers.
      const usage = await three[0]?.listEvents({ types: ["agent.usage"] });
      expect(usage?.filter((e) => agents.some((a) => a.id === e.source))).toHaveLength(45);
    } finally {
      await three[2]?.end();
    }
  });

  test("a table feed on each node: every event of both, on each bus, once and in commit order", async () => {
    const buses = [new EventBus(), new EventBus()];
    const seen: string[][] = [[], []];
    for (const [i, bus] of buses.entries()) bus.subscribe((e) => void seen[i]?.push(e.id));
    const feeds = nodes.map(
      (store, i) => new TableFeed(store, buses[i] as EventBus, (e) => console.error(e), 100),
    );
    for (const feed of feeds) await feed.start();
    const start = (await nodes[0].lastEventId()) ?? undefined;
    const writers = nodes.map((store, i) => new Lifecycle(store, buses[i] as EventBus, { feed: feeds[i] }));
    try {
      // Each node's own writes are on its bus when they return; the other's arrive by LISTEN (or the poll).
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => writers[i % 2]?.createSwarm({ name: `f${i}`, task: "t" })),
      );
      const tail = (await nodes[0].listEvents({ afterId: start })).map((e) => e.id);
      expect(tail.length).toBeGreaterThanOrEqual(40);
      for (const mine of seen) {
        for (let waited = 0; !tail.every((id) => mine.includes(id)) && waited < 3000; waited += 20)
          await Bun.sleep(20);
        const got = mine.filter((id) => tail.includes(id));
        expect(got).toEqual(tail);
        expect(new Set(mine).size).toBe(mine.length);
      }
    } finally {
      for (const feed of feeds) await feed.stop();
    }
  });

  test("20 parallel read-modify-writes of one agent from two nodes: none lost, none refused", async () => {
    const { agents } = await lifecycle.createSwarm({ name: "rmw", task: "t" });
    const id = (agents[0] as AgentRecord).id;
    const bump = (a: AgentRecord) => ({
      patch: { progressCurrent: a.progressCurrent + 1 },
      events: [note(id)],
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => nodes[i % 2]?.updateAgent(id, bump)));
    expect(await nodes[0].getAgent(id)).toMatchObject({ progressCurrent: 20, version: 21 });
  });

  test("events two nodes write at once: a tail sees each once, in commit order, with no gap", async () => {
    const { agents } = await lifecycle.createSwarm({ name: "ev", task: "t", initialAgents: 10 });
    const start = (await nodes[0].lastEventId()) as string;
    let done = false;
    const tailed: string[] = [];
    // A live reader paging on the commit order while the writes land: it must never skip an event
    // that commits after it read past a later one (the failure ULIDs alone would have).
    const tail = (async () => {
      let after = start;
      for (let quiet = false; !quiet; ) {
        const finished = done;
        const page = await nodes[1].listEvents({ afterId: after, limit: 25 });
        tailed.push(...page.map((e) => e.id));
        after = page.at(-1)?.id ?? after;
        quiet = finished && page.length === 0;
      }
    })();
    const writes = agents.flatMap((a, i) =>
      Array.from({ length: 4 }, (_, n) =>
        nodes[(i + n) % 2]?.updateAgent(a.id, () => ({ patch: {}, events: [note(a.id, n), note(a.id, n)] })),
      ),
    );
    await Promise.all(writes);
    done = true;
    await tail;
    const stored = (await nodes[0].listEvents({ afterId: start })).map((e) => e.id);
    expect(stored).toHaveLength(80);
    expect(new Set(stored).size).toBe(80);
    expect(tailed).toEqual(stored);
    // The commit order is seq's, ids follow it, and no number was skipped (nothing rolled back).
    const sql = new SQL(url, { max: 1 });
    const seqs = await sql`SELECT id, seq::int AS seq FROM events ORDER BY seq`;
    await sql.close();
    const ids = seqs.map((r: { id: string }) => r.id);
    expect(ids).toEqual([...ids].sort());
    const numbers = seqs.map((r: { seq: number }) => r.seq);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => (numbers[0] as number) + i));
  });

  test("lazy: usable at once, waits for its database; a failed start rejects every call", async () => {
    const { store, url: made } = lazyPostgresStore();
    const { swarm: s } = await new Lifecycle(store, new EventBus()).createSwarm({ name: "lazy", task: "t" });
    expect((await store.getSwarm(s.id))?.name).toBe("lazy");
    const again = await PostgresStore.open(await made);
    expect((await again.getSwarm(s.id))?.id).toBe(s.id);
    await again.end();
    store.close();
    await store.end();

    const broken = PostgresStore.lazy(Promise.reject(new Error("no database here")));
    await expect(broken.getSwarm("x")).rejects.toThrow("no database here");
    expect(await broken.checkIntegrity()).toEqual(["no database here"]);
    await broken.end();
  });

  test("a deadlock between two transactions is retried until both commit", async () => {
    const sql = new SQL(url, { max: 4 });
    await sql`CREATE TABLE crossed (id INT PRIMARY KEY, n INT NOT NULL)`;
    await sql`INSERT INTO crossed VALUES (1, 0), (2, 0)`;
    let attempts = 0;
    let holding = 0;
    const cross = (first: number, second: number) =>
      transaction(sql, async (tx) => {
        const attempt = ++attempts;
        await tx`UPDATE crossed SET n = n + 1 WHERE id = ${first}`;
        holding++;
        // The first attempts wait until each holds its first row: then each wants the other's.
        while (attempt <= 2 && holding < 2) await Bun.sleep(5);
        await tx`UPDATE crossed SET n = n + 1 WHERE id = ${second}`;
      });
    await Promise.all([cross(1, 2), cross(2, 1)]);
    // PostgreSQL aborted one of the first two (40P01) and the helper ran it again.
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect((await sql`SELECT n FROM crossed ORDER BY id`).map((r: { n: number }) => r.n)).toEqual([2, 2]);
    await sql.close();
  });
});
