import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EventBus } from "../../src/bus/bus.ts";
import { Lifecycle } from "../../src/core/lifecycle.ts";
import type { ApprovalRuleRecord } from "../../src/domain/approval-rule.ts";
import { DashError } from "../../src/domain/errors.ts";
import { newId } from "../../src/domain/ids.ts";
import { PostgresStore } from "../../src/storage/postgres.ts";
import { SqliteStore } from "../../src/storage/sqlite.ts";
import type { Store } from "../../src/storage/store.ts";
import { tempHome } from "../helpers.ts";
import { newPostgresDatabase, postgresMissing } from "../pg-server.ts";

/**
 * What the approvals of issue 27 need from a store, on SQLite and on a real PostgreSQL server
 * alike (as store-contract.test.ts does): rules stored and refused twice, requests stored with
 * their context and timeout action, answered as they are asked, and escalated once however many
 * servers try at the same moment.
 */
type Kind = "sqlite" | "postgres";

async function open(kind: Kind) {
  if (kind === "sqlite") {
    const home = tempHome();
    const path = `${home.dir}/dash.db`;
    const stores = [SqliteStore.open(path), SqliteStore.open(path)];
    const close = async () => {
      for (const s of stores) s.close();
      home.cleanup();
    };
    return { stores, close };
  }
  const url = await newPostgresDatabase();
  const stores = [await PostgresStore.open(url), await PostgresStore.open(url)];
  return { stores, close: async () => void (await Promise.all(stores.map((s) => s.end()))) };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (error: unknown) => (error instanceof DashError ? error.code : String(error)),
  );

for (const kind of ["sqlite", "postgres"] as const) {
  const missing = kind === "postgres" ? postgresMissing() : null;
  (missing ? describe.skip : describe)(`approval store: ${kind}`, () => {
    let h: Awaited<ReturnType<typeof open>>;
    let store: Store;
    let lifecycles: Lifecycle[];
    beforeAll(async () => {
      h = await open(kind);
      store = h.stores[0] as Store;
      lifecycles = h.stores.map((s) => new Lifecycle(s, new EventBus()));
    });
    afterAll(() => h.close());
    const lifecycle = () => lifecycles[0] as Lifecycle;

    async function runningAgent(currency: "USD" | "tokens" = "USD") {
      const { swarm, agents } = await lifecycle().createSwarm({
        name: `s${newId().slice(-6)}`,
        task: "swarm task",
        budget: { amount: 1_000_000, currency },
      });
      await lifecycle().moveSwarm(swarm.id, { to: "active" });
      const id = (agents[0] as { id: string }).id;
      await lifecycle().moveAgent(id, { to: "spawning" });
      await lifecycle().moveAgent(id, { to: "running" });
      return { swarmId: swarm.id, agentId: id };
    }

    test("rules: stored, listed oldest first, refused twice for one swarm and pattern, removed once", async () => {
      const { swarmId } = await runningAgent();
      const rule = (pattern: string, swarm: string | null = null): ApprovalRuleRecord => ({
        id: newId(),
        action: "approve",
        swarmId: swarm,
        pattern,
        createdBy: "k",
        fromApprovalId: null,
        createdAt: Date.now(),
      });
      const a = await store.insertApprovalRule(rule("Run *"));
      const b = await store.insertApprovalRule(rule("Run *", swarmId));
      expect(await codeOf(store.insertApprovalRule(rule("Run *")))).toBe("CONFLICT");
      expect(await codeOf(store.insertApprovalRule(rule("Run *", swarmId)))).toBe("CONFLICT");
      expect(await store.listApprovalRules()).toEqual([a, b]);
      expect(await store.deleteApprovalRule(a.id)).toEqual(a);
      expect(await store.deleteApprovalRule(a.id)).toBeNull();
      expect(await store.deleteApprovalRule(b.id)).toEqual(b);
      expect(await store.listApprovalRules()).toEqual([]);
    });

    test("a request keeps its context and timeout action; a rule answers it as it is asked", async () => {
      const { agentId } = await runningAgent();
      const asked = await lifecycle().requestApproval({
        kind: "agent",
        agentId,
        title: "Deploy?",
        timeoutSeconds: 60,
        onTimeout: "kill",
      });
      expect(await store.getApproval(asked.id)).toEqual(asked);
      expect(asked).toMatchObject({ status: "pending", onTimeout: "kill", escalatedAt: null });
      expect(asked.context).toMatchObject({ task: "swarm task", agent: { id: agentId } });
      expect((await store.getAgent(agentId))?.heldBy).toBe("approval");

      const rule = await store.insertApprovalRule({
        id: newId(),
        action: "deny",
        swarmId: null,
        pattern: "Deploy*",
        createdBy: null,
        fromApprovalId: null,
        createdAt: Date.now(),
      });
      const { agentId: other } = await runningAgent();
      const answered = await lifecycle().requestApproval({
        kind: "agent",
        agentId: other,
        title: "Deploy!",
        timeoutSeconds: 60,
      });
      expect(answered).toMatchObject({ status: "denied", resolvedBy: `rule:${rule.id}` });
      expect(answered.resolvedAt).toBeNumber();
      expect(await store.getAgent(other)).toMatchObject({ status: "running", heldBy: null });
      await store.deleteApprovalRule(rule.id);

      // Its timeout kills the agent (in the answer's transaction).
      await lifecycle().timeOutApproval(asked);
      expect((await store.getAgent(agentId))?.status).toBe("killed");
    });

    test("escalation: listed until escalated, then once only, however many servers try together", async () => {
      const { agentId } = await runningAgent();
      const asked = await lifecycle().requestApproval({
        kind: "agent",
        agentId,
        title: "Wait?",
        timeoutSeconds: 60,
      });
      const due = (escalated: boolean, at = asked.createdAt) =>
        store
          .listApprovals({ status: "pending", escalated, createdBefore: at })
          .then((l) => l.map((a) => a.id));
      expect(await due(false)).toContain(asked.id);
      expect(await due(false, asked.createdAt - 1)).not.toContain(asked.id);
      const tries = await Promise.all(lifecycles.map((l) => codeOf(l.escalateApproval(asked.id, 5))));
      expect(tries.sort()).toEqual(["CONFLICT", "ok"]);
      const escalated = await store.getApproval(asked.id);
      expect(escalated?.escalatedAt).toBeNumber();
      expect(await due(false)).not.toContain(asked.id);
      expect(await due(true)).toContain(asked.id);
      const events = (await store.listEvents({ types: ["approval.escalated"] })).filter(
        (e) => e.data.approvalId === asked.id,
      );
      expect(events).toHaveLength(1);
      expect(events[0]?.data).toMatchObject({ escalated: true, escalatedAfter: 5, context: asked.context });
      await lifecycle().answerApproval(asked.id, { status: "approved", by: "k" });
      expect(await codeOf(lifecycle().escalateApproval(asked.id, 5))).toBe("CONFLICT");
    });

    test("a swarm whose budget counts tokens: its spend in the context is what its agents cost in USD", async () => {
      const { agentId } = await runningAgent("tokens");
      await lifecycle().recordUsage(agentId, {
        model: "m",
        promptTokens: 10,
        completionTokens: 5,
        costUsd: 0.5,
      });
      const asked = await lifecycle().requestApproval({
        kind: "agent",
        agentId,
        title: "More?",
        timeoutSeconds: 60,
      });
      expect(asked.context?.swarm?.costUsd).toBe(0.5);
      expect(asked.context?.agent?.costUsd).toBe(0.5);
    });
  });
}
