import { describe, expect, test } from "bun:test";
import { applyEvent, type Entities } from "../../src/dashboard/model/apply-event.ts";
import { describeEvent, levelOf } from "../../src/dashboard/model/describe-event.ts";
import { EventLog } from "../../src/dashboard/model/event-log.ts";
import {
  blockBar,
  clock,
  fit,
  fitRight,
  money,
  shortId,
  sparkline,
  timeLeft,
} from "../../src/dashboard/model/format.ts";
import { mergeChoiceOf, mergeNotice, mergeSidesOf, sideKeys } from "../../src/dashboard/model/merge-ask.ts";
import { sortAgents, windowStart } from "../../src/dashboard/model/sort-agents.ts";
import { SpendHistory } from "../../src/dashboard/model/spend-history.ts";
import { DashboardStore } from "../../src/dashboard/model/store.ts";
import { agent, approval, event, MERGE_DETAILS, swarm } from "./fixtures.ts";

const entities = (): Entities => ({ agents: new Map(), swarms: new Map(), approvals: new Map() });

describe("applyEvent", () => {
  test("an agent is born from agent.spawned and then follows status, progress and usage", () => {
    const e = entities();
    const data = {
      agentId: "A1",
      name: "jarvis",
      swarmId: "S1",
      parentId: null,
      task: "auth",
      status: "idle",
    };
    expect(applyEvent(e, event("agent.spawned", data))).toBe(true);
    expect(applyEvent(e, event("agent.spawned", data))).toBe(false);
    expect(e.agents.get("A1")).toMatchObject({ name: "jarvis", status: "idle", task: "auth", version: 1 });

    applyEvent(e, event("agent.started", { agentId: "A1", status: "running", sessionId: "sess" }));
    const progress = { current: 3, total: 10, percentage: 30 };
    applyEvent(e, event("agent.progress", { agentId: "A1", progress, cost: { tokens: 5, amount: 0.1 } }));
    const total = { promptTokens: 100, completionTokens: 20, totalTokens: 120, amount: 0.25 };
    applyEvent(e, event("agent.usage", { agentId: "A1", model: "gpt-5", total }));
    expect(e.agents.get("A1")).toMatchObject({
      status: "running",
      sessionId: "sess",
      progress,
      model: "gpt-5",
      cost: total,
      version: 4,
    });

    applyEvent(e, event("agent.failed", { agentId: "A1", status: "failed", error: { message: "boom" } }));
    const failed = e.agents.get("A1");
    expect(failed?.completedAt).not.toBeNull();
    expect(failed?.error).toEqual({ message: "boom" });
    applyEvent(e, event("agent.retrying", { agentId: "A1", status: "spawning", retryCount: 1 }));
    expect(e.agents.get("A1")).toMatchObject({
      status: "spawning",
      retryCount: 1,
      error: null,
      completedAt: null,
    });
  });

  test("an agent's metering: from its start event when it says, else from a gateway usage (it names its call)", () => {
    const e = entities();
    applyEvent(e, event("agent.spawned", { agentId: "A1", name: "a", swarmId: "S1" }));
    applyEvent(e, event("agent.spawned", { agentId: "A2", name: "b", swarmId: "S1" }));
    const total = { promptTokens: 1, completionTokens: 1, totalTokens: 2, amount: 0.01 };
    applyEvent(e, event("agent.usage", { agentId: "A1", total }));
    expect(e.agents.get("A1")?.metering).toBeNull();
    applyEvent(e, event("agent.usage", { agentId: "A1", total, callId: "C1", model: "m" }));
    expect(e.agents.get("A1")?.metering).toBe("gateway");
    applyEvent(e, event("agent.started", { agentId: "A2", status: "running", metering: "reports" }));
    applyEvent(
      e,
      event("agent.progress", { agentId: "A2", progress: { current: 1, total: 2, percentage: 50 } }),
    );
    expect(e.agents.get("A2")?.metering).toBe("reports");
  });

  test("swarms are created and move; unknown ids and malformed data change nothing", () => {
    const e = entities();
    const created = { swarmId: "S1", name: "api", agentCount: 2, budget: { allocated: 5, currency: "USD" } };
    expect(applyEvent(e, event("swarm.created", created))).toBe(true);
    expect(applyEvent(e, event("swarm.created", created))).toBe(false);
    expect(e.swarms.get("S1")).toMatchObject({ name: "api", status: "creating", agentCount: 2 });
    applyEvent(e, event("swarm.started", { swarmId: "S1", status: "active" }));
    applyEvent(e, event("swarm.completed", { swarmId: "S1", status: "completed", result: 42 }));
    expect(e.swarms.get("S1")).toMatchObject({ status: "completed", result: 42, version: 3 });

    expect(applyEvent(e, event("swarm.paused", { swarmId: "nope", status: "paused" }))).toBe(false);
    expect(applyEvent(e, event("agent.progress", { agentId: "nope", progress: { current: 1 } }))).toBe(false);
    expect(applyEvent(e, event("agent.completed", { agentId: "A1", status: "exploded" }))).toBe(false);
    expect(applyEvent(e, event("agent.usage", { agentId: 7 }))).toBe(false);
    expect(applyEvent(e, event("agent.spawned", { name: "no id" }))).toBe(false);
    expect(applyEvent(e, event("swarm.created", {}))).toBe(false);
    expect(applyEvent(e, event("budget.threshold", { swarmId: "S1" }))).toBe(false);
  });
});

describe("approvals", () => {
  const asked = {
    approvalId: "AP1",
    kind: "agent",
    agentId: "A1",
    swarmId: "S1",
    title: "deploy to prod?",
    details: { env: "prod" },
    expiresAt: "2026-11-24T10:57:01.000Z",
  };

  test("approval.requested adds a pending one, approval.resolved removes it; malformed ones change nothing", () => {
    const e = entities();
    expect(applyEvent(e, event("approval.requested", asked))).toBe(true);
    expect(applyEvent(e, event("approval.requested", asked))).toBe(false);
    expect(e.approvals.get("AP1")).toMatchObject({
      id: "AP1",
      kind: "agent",
      agentId: "A1",
      swarmId: "S1",
      title: "deploy to prod?",
      details: { env: "prod" },
      status: "pending",
      createdAt: "2026-11-24T10:42:01.000Z",
      expiresAt: asked.expiresAt,
    });
    const budget = {
      approvalId: "AP2",
      kind: "budget",
      swarmId: "S1",
      title: "go on?",
      expiresAt: asked.expiresAt,
    };
    expect(applyEvent(e, event("approval.requested", budget))).toBe(true);
    expect(e.approvals.get("AP2")).toMatchObject({ agentId: null, details: {}, context: null });
    // The context the server adds (task, log, spend) and the timeout action come with the event.
    const context = {
      task: "ship it",
      agent: { id: "A1", name: "jarvis", status: "running", costUsd: 0.5 },
      swarm: null,
      log: ["compiling"],
      onTimeout: { action: "kill", at: asked.expiresAt },
      answer: { approve: "dash approvals approve AP4", deny: "dash approvals deny AP4" },
    };
    expect(
      applyEvent(e, event("approval.requested", { ...asked, approvalId: "AP4", context, onTimeout: "kill" })),
    ).toBe(true);
    expect(e.approvals.get("AP4")).toMatchObject({ context, onTimeout: "kill" });
    // A malformed context is left out; the request still shows.
    expect(
      applyEvent(e, event("approval.requested", { ...asked, approvalId: "AP5", context: { task: 1 } })),
    ).toBe(true);
    expect(e.approvals.get("AP5")?.context).toBeNull();
    e.approvals.delete("AP4");
    e.approvals.delete("AP5");

    for (const bad of [
      { ...asked, approvalId: "AP3", kind: "human" },
      { ...asked, approvalId: "AP3", expiresAt: "soon" },
      { ...asked, approvalId: undefined },
      { approvalId: "AP3" },
    ]) {
      expect(applyEvent(e, event("approval.requested", bad))).toBe(false);
    }
    expect(applyEvent(e, event("approval.resolved", { approvalId: 7 }))).toBe(false);
    expect(applyEvent(e, event("approval.resolved", { approvalId: "nope", status: "approved" }))).toBe(false);
    expect(applyEvent(e, event("approval.expired" as "approval.resolved", { approvalId: "AP1" }))).toBe(
      false,
    );
    expect([...e.approvals.keys()]).toEqual(["AP1", "AP2"]);
    expect(applyEvent(e, event("approval.resolved", { approvalId: "AP1", status: "approved" }))).toBe(true);
    expect([...e.approvals.keys()]).toEqual(["AP2"]);
  });

  test("the store lists them soonest to expire first, from a snapshot and events; a refresh without them keeps them", () => {
    const store = new DashboardStore(0);
    const later = approval("later", {}, 30);
    const sooner = approval("sooner", {}, 5);
    store.replaceAll({ agents: [], swarms: [], budgets: null, approvals: [later, sooner] });
    store.flush();
    expect(store.getView().approvals.map((a) => a.title)).toEqual(["sooner", "later"]);
    store.replaceAll({ agents: [], swarms: [], budgets: null }, [
      event("approval.resolved", { approvalId: sooner.id, status: "denied" }),
    ]);
    store.addEvent(event("approval.requested", { ...asked, expiresAt: new Date(0).toISOString() }));
    store.flush();
    expect(store.getView().approvals.map((a) => a.title)).toEqual(["deploy to prod?", "later"]);
    const before = store.flushes;
    store.dropApproval("AP1");
    store.dropApproval("AP1");
    store.flush();
    expect(store.getView().approvals.map((a) => a.title)).toEqual(["later"]);
    expect(store.flushes).toBe(before + 1);
    store.replaceAll({ agents: [], swarms: [], budgets: null, approvals: [] });
    store.flush();
    expect(store.getView().approvals).toEqual([]);
    store.close();
  });
});

describe("EventLog", () => {
  test("keeps the newest `capacity` events, oldest first", () => {
    const log = new EventLog(3);
    const events = [1, 2, 3, 4, 5].map((n) => event("agent.progress", { n }));
    for (const e of events) log.push(e);
    expect(log.size).toBe(3);
    expect(log.toArray().map((e) => e.data.n)).toEqual([3, 4, 5]);
  });
});

describe("SpendHistory", () => {
  test("sums spend per slot over the window and forgets older slots", () => {
    const history = new SpendHistory(10_000, 3);
    history.add(5_000, 1);
    history.add(15_000, 2);
    history.add(16_000, 0.5);
    history.add(25_000, 4);
    history.add(25_000, -1);
    history.add(25_000, Number.NaN);
    expect(history.series(29_000)).toEqual([1, 2.5, 4]);
    expect(history.series(39_000)).toEqual([2.5, 4, 0]);
    expect(history.series(100_000)).toEqual([0, 0, 0]);
  });
});

describe("format", () => {
  test("fit cuts with … and pads to the exact width, wide characters included", () => {
    expect(fit("jarvis", 8)).toBe("jarvis  ");
    expect(fit("api-refactor-12", 8)).toBe("api-ref…");
    expect(fit("a\nb\tc", 5)).toBe("a b c");
    expect(Bun.stringWidth(fit("日本語のタスク", 6))).toBe(6);
    expect(fit("x", 0)).toBe("");
    expect(fitRight("$1.00", 7)).toBe("  $1.00");
    expect(fitRight("$1000.00", 3)).toBe("$10");
  });

  test("bars, sparklines, money, ids and clocks", () => {
    expect(blockBar(50, 10)).toBe("█████░░░░░");
    expect(blockBar(150, 4)).toBe("████");
    expect(blockBar(Number.NaN, 4)).toBe("░░░░");
    expect(sparkline([0, 1, 2, 4])).toBe("▁▃▅█");
    expect(sparkline([0, 0])).toBe("▁▁");
    expect(money(45.234)).toBe("$45.23");
    expect(money(0.0043)).toBe("$0.0043");
    expect(money(0)).toBe("$0.00");
    expect(money(12345, "tokens")).toBe("12,345 tok");
    expect(shortId("01JABCDEFGHJKMNPQRSTVWXYZ0")).toBe("stvwxyz0");
    expect(clock(new Date(2026, 10, 24, 9, 5, 7).getTime())).toBe("09:05:07");
    expect(timeLeft(42_000)).toBe("42s");
    expect(timeLeft(41_001)).toBe("42s");
    expect(timeLeft(14 * 60_000 + 5_000)).toBe("14m 05s");
    expect(timeLeft(2 * 3_600_000 + 3 * 60_000)).toBe("2h 03m");
    expect(timeLeft(0)).toBe("expired");
    expect(timeLeft(-5)).toBe("expired");
    expect(timeLeft(Number.NaN)).toBe("expired");
  });
});

describe("sortAgents and windowStart", () => {
  const a = agent("b-agent", { status: "completed", cost: { ...agent("x").cost, amount: 3 } });
  const b = agent("a-agent", { status: "idle", cost: { ...agent("x").cost, amount: 1 } });
  const c = agent("c-agent", {
    status: "running",
    swarmId: "OTHER",
    cost: { ...agent("x").cost, amount: 2 },
  });

  test("by name, by status (live work first), by cost (most first), one swarm or all", () => {
    const names = (list: { name: string }[]) => list.map((x) => x.name);
    expect(names(sortAgents([a, b, c], "name"))).toEqual(["a-agent", "b-agent", "c-agent"]);
    expect(names(sortAgents([a, b, c], "status"))).toEqual(["c-agent", "a-agent", "b-agent"]);
    expect(names(sortAgents([a, b, c], "cost"))).toEqual(["b-agent", "c-agent", "a-agent"]);
    expect(names(sortAgents([a, b, c], "name", "OTHER"))).toEqual(["c-agent"]);
  });

  test("the window moves only when the selection leaves it", () => {
    expect(windowStart(0, 5, 10, 100)).toBe(0);
    expect(windowStart(0, 12, 10, 100)).toBe(3);
    expect(windowStart(3, 8, 10, 100)).toBe(3);
    expect(windowStart(3, 1, 10, 100)).toBe(1);
    expect(windowStart(95, 99, 10, 100)).toBe(90);
    expect(windowStart(7, 2, 10, 5)).toBe(0);
    expect(windowStart(7, 2, 0, 50)).toBe(0);
  });
});

describe("describeEvent", () => {
  const names = (id: string) => ({ A1: "jarvis", S1: "swarm-1" })[id];

  test("names the agent or swarm, says what happened, and levels it", () => {
    const usage = describeEvent(
      event("agent.usage", { agentId: "A1", cost: 0.5, promptTokens: 1000, completionTokens: 234 }),
      names,
    );
    expect(usage).toMatchObject({ who: "jarvis", level: "info", text: "usage $0.50 · 1,234 tok" });
    const failed = describeEvent(
      event("agent.failed", { agentId: "A1", error: { message: "API timeout" } }),
      names,
    );
    expect(failed).toMatchObject({ level: "error", text: "failed: API timeout" });
    const threshold = describeEvent(
      event("budget.threshold", { swarmId: "S1", level: "warning", percent: 75, action: "notify" }),
      names,
    );
    expect(threshold).toMatchObject({
      who: "swarm-1",
      level: "warn",
      text: "budget warning at 75% → notify",
    });
    const progress = describeEvent(
      event("agent.progress", {
        agentId: "A9",
        name: "ghost",
        progress: { current: 1, total: 4, percentage: 25 },
      }),
      names,
    );
    expect(progress).toMatchObject({ who: "ghost", text: "progress 1/4 (25%)" });
    expect(describeEvent(event("swarm.scaled", { swarmId: "S1", from: 2, to: 5 }), names).text).toBe(
      "scaled 2 → 5",
    );
    expect(describeEvent(event("swarm.created", { swarmId: "S1", agentCount: 3 }), names).text).toBe(
      "swarm created (3 agents)",
    );
    expect(describeEvent(event("agent.spawned", { agentId: "A1", task: "auth" }), names).text).toBe(
      "spawned: auth",
    );
    expect(describeEvent(event("budget.allocated", { swarmId: "S1", added: 5 }), names).text).toBe(
      "budget +5",
    );
    expect(describeEvent(event("agent.killed", { agentId: "A1", reason: "scaled down" }), names).text).toBe(
      "killed (scaled down)",
    );
    const asks = describeEvent(
      event("approval.requested", { approvalId: "AP1", agentId: "A1", title: "deploy to prod?" }),
      names,
    );
    expect(asks).toMatchObject({ who: "jarvis", level: "warn", text: "asks: deploy to prod?" });
    const denied = describeEvent(
      event("approval.resolved", {
        approvalId: "AP1",
        agentId: null,
        swarmId: "S1",
        title: "go on?",
        status: "denied",
        reason: "too dear",
      }),
      names,
    );
    expect(denied).toMatchObject({ who: "swarm-1", level: "info", text: "denied: go on? (too dear)" });
    const approved = describeEvent(
      event("approval.resolved", { agentId: "A1", title: "deploy?", status: "approved", reason: null }),
      names,
    );
    expect(approved.text).toBe("approved: deploy?");
    expect(levelOf("agent.paused")).toBe("warn");
    expect(levelOf("system.error")).toBe("error");
    expect(describeEvent(event("swarm.paused", {}), () => undefined).who).toBe("x");
    expect(swarm("s").name).toBe("s");
  });
});

describe("merge approvals and merges", () => {
  const names = (id: string) => ({ S1: "api-refactor" })[id];

  test("swarm.merged says which agents' branches went into which target", () => {
    const merged = describeEvent(
      event("swarm.merged", {
        swarmId: "S1",
        target: "integration",
        head: "def456",
        merged: ["agent-1", "agent-2"],
        overridden: [],
        approvalId: null,
      }),
      names,
    );
    expect(merged).toMatchObject({
      who: "api-refactor",
      level: "info",
      text: "merged agent-1, agent-2 into integration",
    });
    const over = describeEvent(
      event("swarm.merged", {
        swarmId: "S1",
        target: "t",
        merged: ["agent-1"],
        overridden: ["dash/api/agent-2"],
      }),
      names,
    );
    expect(over.text).toBe("merged agent-1 into t (over dash/api/agent-2)");
    expect(describeEvent(event("swarm.merged", { swarmId: "S1", target: "t" }), names).text).toBe(
      "merged branches into t",
    );
  });

  test("a merge approval's request names the files and the sides; its answer the side kept", () => {
    const asked = { approvalId: "AP1", kind: "merge", swarmId: "S1", agentId: null, title: "merge stopped" };
    expect(
      describeEvent(event("approval.requested", { ...asked, details: MERGE_DETAILS }), names),
    ).toMatchObject({
      who: "api-refactor",
      level: "warn",
      text: "merge into integration stopped on src/a.ts, src/b.ts: keep agent-2 or integration? (Shift+A)",
    });
    // Details that do not describe a conflict read like any other request.
    expect(describeEvent(event("approval.requested", asked), names).text).toBe("asks: merge stopped");
    const resolved = describeEvent(
      event("approval.resolved", { ...asked, status: "approved", reason: null, choice: "agent-2" }),
      names,
    );
    expect(resolved.text).toBe("approved keeping agent-2: merge stopped");
  });

  test("the conflict and side names are read from the details; malformed ones give none", () => {
    expect(mergeChoiceOf(MERGE_DETAILS)).toEqual({
      target: "integration",
      files: ["src/a.ts", "src/b.ts"],
      sides: [
        { name: "agent-2", branch: "dash/api/agent-2" },
        { name: "integration", branch: "integration" },
      ],
    });
    expect(mergeChoiceOf({ target: "integration" })).toBeNull();
    expect(mergeChoiceOf(undefined)).toBeNull();
    const merge = approval("m", { kind: "merge", details: MERGE_DETAILS });
    const odd = approval("m2", { kind: "merge", details: {} });
    const plain = approval("p", { details: MERGE_DETAILS });
    expect(mergeSidesOf([merge, odd, plain])).toEqual(
      new Map([
        [merge.id, ["agent-2", "integration"]],
        [odd.id, []],
      ]),
    );
    expect([sideKeys(1), sideKeys(2), sideKeys(9)]).toEqual(["1", "1–2", "1–9"]);
  });

  test("the notice after approving says how the merge ended", () => {
    const branch = (name: string) => ({ agentId: `id-${name}`, name, branch: `dash/api/${name}` });
    const base = { target: "integration", head: "def456", already: [], skipped: [] };
    expect(mergeNotice({ ...base, status: "merged", merged: [branch("agent-1"), branch("agent-2")] })).toBe(
      "merged 2 branches into integration (agent-1, agent-2)",
    );
    expect(mergeNotice({ ...base, status: "merged", merged: [branch("agent-1")] })).toBe(
      "merged 1 branch into integration (agent-1)",
    );
    expect(mergeNotice({ ...base, status: "up-to-date", merged: [] })).toBe(
      "integration was already up to date",
    );
    const conflict = {
      files: ["src/c.ts"],
      sides: [
        { name: "agent-3", agentId: "id-agent-3", branch: "dash/api/agent-3" },
        { name: "integration", agentId: null, branch: "integration" },
      ],
    };
    expect(mergeNotice({ ...base, status: "conflict", merged: [], conflict })).toBe(
      "merge stopped again: agent-3 and integration changed src/c.ts; Shift+A to pick a side",
    );
    expect(mergeNotice({ ...base, status: "conflict", merged: [] })).toBe(
      "merge stopped again: two sides changed some files; Shift+A to pick a side",
    );
  });
});
