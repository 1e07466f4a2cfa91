import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DashClient } from "../../src/client/client.ts";
import { DashboardFeed } from "../../src/dashboard/model/feed.ts";
import { DashboardStore } from "../../src/dashboard/model/store.ts";
import { testServer } from "../api-helpers.ts";
import { until } from "../helpers.ts";
import { approval, MERGE_DETAILS } from "./fixtures.ts";

let server: Awaited<ReturnType<typeof testServer>>;
let feed: DashboardFeed;
let store: DashboardStore;

beforeAll(async () => {
  server = await testServer();
  store = new DashboardStore(50);
  const client = new DashClient({
    url: server.server.url.href.replace(/\/$/, ""),
    key: server.keys.admin,
    keySource: "test",
  });
  await client.createSwarm({
    name: "before",
    task: "made before the dashboard",
    initialAgents: 3,
    budget: { amount: 10 },
  });
  feed = new DashboardFeed(client, store, { budgetEveryMs: 20, reconnectMs: 50 });
  await feed.start();
});
afterAll(async () => {
  feed.stop();
  store.close();
  await server.close();
});

describe("DashboardFeed against a real server", () => {
  test("the snapshot brings what existed, the stream what happens next", async () => {
    await until(() => store.getView().connection === "live" && store.getView().agents.length === 3);
    const { lifecycle } = server.t;
    const { swarm, agents } = await lifecycle.createSwarm({
      name: "after",
      task: "made while watching",
      initialAgents: 2,
      budget: { amount: 5 },
    } as Parameters<typeof lifecycle.createSwarm>[0]);
    const [first] = agents;
    if (!first) throw new Error("no agent");
    await lifecycle.moveAgent(first.id, { to: "spawning" });
    await lifecycle.moveAgent(first.id, { to: "running" });
    await lifecycle.reportProgress(first.id, { current: 2, total: 4 });
    await lifecycle.recordUsage(first.id, { promptTokens: 100, completionTokens: 50, costUsd: 0.25 });
    await until(() => store.getView().agentsById.get(first.id)?.cost.amount === 0.25);
    const view = store.getView();
    expect(view.agents).toHaveLength(5);
    expect(view.swarmsById.get(swarm.id)?.name).toBe("after");
    expect(view.agentsById.get(first.id)).toMatchObject({
      status: "running",
      progress: { current: 2, total: 4 },
    });
    expect(view.events.some((e) => e.type === "agent.usage")).toBe(true);
    expect(view.spend.at(-1)).toBeCloseTo(0.25);
    // Budgets follow spending (fetched again, throttled).
    await until(() => (store.getView().budgets?.totals[0]?.spent ?? 0) >= 0.25);
  });

  test("kill goes through the API; a refusal becomes the notice", async () => {
    const target = store.getView().agents.find((a) => a.status === "idle");
    if (!target) throw new Error("no idle agent");
    await feed.kill(target.id);
    await until(() => store.getView().agentsById.get(target.id)?.status === "killed");
    expect(store.getView().notice).toBe(`killed ${target.name}`);
    await feed.kill(target.id);
    await until(() => store.getView().notice?.startsWith("kill failed") === true);
  });

  test("refresh re-applies what happened while the snapshot was on its way", async () => {
    const [agent] = await server.t.store.listAgents({ status: "idle", limit: 1 });
    if (!agent) throw new Error("no idle agent");
    const refreshing = feed.refresh();
    await server.t.lifecycle.moveAgent(agent.id, { to: "killed", reason: "during refresh" });
    await refreshing;
    await until(() => store.getView().agentsById.get(agent.id)?.status === "killed");
  });

  test("a dropped stream shows reconnecting, then live again and catches up", async () => {
    // Recorded as set: the reconnect (25-50 ms here) can land inside one 50 ms batch.
    const states: string[] = [];
    const setConnection = store.setConnection.bind(store);
    store.setConnection = (state) => {
      states.push(state);
      setConnection(state);
    };
    (feed as unknown as { stream: { drop(): void } }).stream.drop();
    await until(() => states.includes("reconnecting"));
    await until(() => states.at(-1) === "live" && store.getView().connection === "live");
    store.setConnection = setConnection;
    const [agent] = await server.t.store.listAgents({ status: "idle", limit: 1 });
    if (!agent) throw new Error("no idle agent");
    await server.t.lifecycle.moveAgent(agent.id, { to: "killed" });
    await until(() => store.getView().agentsById.get(agent.id)?.status === "killed");
  });
});

describe("approvals through a real server", () => {
  test("a request shows up (paused agent, snapshot too); answering through the feed resolves it once", async () => {
    const agent = store.getView().agents.find((a) => a.status === "running");
    if (!agent) throw new Error("no running agent");
    // An answer resumes the agent only in an active swarm (this one was made without starting).
    await server.t.lifecycle.moveSwarm(agent.swarmId, { to: "active" });
    const [status, asked] = await server.json<{ id: string }>("POST", "/api/approvals", server.keys.write, {
      agentId: agent.id,
      title: "deploy to prod?",
      details: { env: "prod" },
    });
    expect(status).toBe(201);
    await until(() => store.getView().approvals.some((a) => a.id === asked.id));
    expect(store.getView().approvals.find((a) => a.id === asked.id)).toMatchObject({
      kind: "agent",
      agentId: agent.id,
      swarmId: agent.swarmId,
      title: "deploy to prod?",
      details: { env: "prod" },
      status: "pending",
    });
    await until(() => store.getView().agentsById.get(agent.id)?.status === "paused");
    expect(store.getView().events.some((e) => e.type === "approval.requested")).toBe(true);

    // A dashboard started now finds it in the snapshot.
    const fresh = new DashboardStore(0);
    await new DashboardFeed(feed.client, fresh).refresh();
    fresh.flush();
    expect(fresh.getView().approvals.map((a) => a.id)).toEqual([asked.id]);
    fresh.close();

    await feed.answer(asked.id, "approve");
    await until(() => store.getView().notice === "approved: deploy to prod?");
    await until(() => store.getView().approvals.length === 0);
    await until(() => store.getView().agentsById.get(agent.id)?.status === "running");
    await until(() => store.getView().events.some((e) => e.type === "approval.resolved"));
    await feed.answer(asked.id, "deny");
    await until(() => store.getView().notice?.startsWith("deny failed") === true);
    expect(store.getView().notice).toContain("already approved");
  });
});

describe("merge approvals", () => {
  test("approving one through a real server with no such side is refused (the notice says so); denying needs none", async () => {
    const swarmId = store.getView().swarms[0]?.id;
    if (!swarmId) throw new Error("no swarm");
    const asked = await server.t.lifecycle.requestApproval({
      kind: "merge",
      swarmId,
      title: "merge stopped",
      details: { ...MERGE_DETAILS, swarmId },
      timeoutSeconds: 60,
    });
    await until(() => store.getView().approvals.some((a) => a.id === asked.id));
    await feed.answer(asked.id, "approve", "nobody");
    await until(() => store.getView().notice?.startsWith("approve failed") === true);
    expect(store.getView().notice).toContain("needs the side to keep");
    await feed.answer(asked.id, "deny");
    await until(() => store.getView().notice === "denied: merge stopped");
    await until(() => !store.getView().approvals.some((a) => a.id === asked.id));
  });

  test("approving one sends the side chosen, and the notice says how the merge ended", async () => {
    const sent: unknown[] = [];
    const answered = approval("merge stopped", { kind: "merge", status: "approved", details: MERGE_DETAILS });
    const merge = {
      status: "merged",
      target: "integration",
      head: "def456",
      merged: [MERGE_DETAILS.incoming],
      already: [],
      skipped: [],
    };
    const fetcher = async (_url: string | URL | Request, init?: RequestInit) => {
      sent.push(JSON.parse(String(init?.body)));
      return Response.json({ ...answered, merge });
    };
    const local = new DashboardStore(0);
    const client = new DashClient(
      { url: "http://dash.test", key: "k", keySource: "test" },
      fetcher as typeof fetch,
    );
    await new DashboardFeed(client, local).answer(answered.id, "approve", "agent-2");
    expect(sent).toEqual([{ choice: "agent-2" }]);
    local.flush();
    expect(local.getView().notice).toBe("merged 1 branch into integration (agent-2)");
    local.close();
  });
});

describe("DashboardStore batching", () => {
  test("many changes in one window make one publication; a quiet store publishes at once", async () => {
    const batched = new DashboardStore(50);
    let told = 0;
    batched.subscribe(() => told++);
    for (let i = 0; i < 500; i++) batched.setNotice(`n${i}`);
    expect(batched.pending).toBe(0);
    await until(() => told === 1);
    await Bun.sleep(80);
    expect(told).toBe(1);
    expect(batched.getView().notice).toBe("n499");
    batched.setConnection("live");
    batched.setConnection("live");
    await until(() => told === 2);
    batched.close();
    batched.setNotice("after close", 1);
    await Bun.sleep(20);
    expect(told).toBe(2);
  });
});
