import { describe, expect, test } from "bun:test";
import { agentRows, DEFAULT_TABLE_QUERY, sortOn } from "../../src/dashboard/model/agent-table.ts";
import { buildTree, flattenTree } from "../../src/dashboard/model/agent-tree.ts";
import { stepSelection } from "../../src/dashboard/model/selection.ts";
import { spendChart } from "../../src/dashboard/model/spend-chart.ts";
import { rowWindow, scrollToRow } from "../../src/dashboard/model/virtual-rows.ts";
import { agent, swarm } from "./fixtures.ts";

describe("agentRows: the web grid's filter and sort", () => {
  const alpha = swarm("alpha");
  const beta = swarm("beta");
  const swarms = new Map([
    [alpha.id, alpha],
    [beta.id, beta],
  ]);
  const rows = [
    agent("c-fix", { swarmId: alpha.id, status: "failed", cost: { ...agent("x").cost, amount: 3 } }),
    agent("a-auth", { swarmId: beta.id, status: "running", task: "write the login page" }),
    agent("b-docs", { swarmId: alpha.id, status: "completed", updatedAt: "2026-11-24T10:50:00.000Z" }),
    agent("d-test", {
      swarmId: beta.id,
      status: "running",
      progress: { current: 1, total: 2, percentage: 50 },
    }),
  ];
  const names = (q: Partial<typeof DEFAULT_TABLE_QUERY>) =>
    agentRows(rows, swarms, { ...DEFAULT_TABLE_QUERY, ...q }).map((a) => a.name);

  test("by status puts live work first, ties by name; descending turns the column only", () => {
    expect(names({})).toEqual(["a-auth", "d-test", "c-fix", "b-docs"]);
    expect(names({ descending: true })).toEqual(["b-docs", "c-fix", "a-auth", "d-test"]);
  });

  test("every column sorts", () => {
    expect(names({ sortBy: "name" })).toEqual(["a-auth", "b-docs", "c-fix", "d-test"]);
    expect(names({ sortBy: "name", descending: true })).toEqual(["d-test", "c-fix", "b-docs", "a-auth"]);
    expect(names({ sortBy: "swarm" })).toEqual(["b-docs", "c-fix", "a-auth", "d-test"]);
    expect(names({ sortBy: "cost", descending: true })[0]).toBe("c-fix");
    expect(names({ sortBy: "progress", descending: true })[0]).toBe("d-test");
    expect(names({ sortBy: "updated", descending: true })[0]).toBe("b-docs");
  });

  test("the filter needs every word, in any field and case; status and swarm narrow it", () => {
    expect(names({ filter: "LOGIN" })).toEqual(["a-auth"]);
    expect(names({ filter: "beta running" })).toEqual(["a-auth", "d-test"]);
    expect(names({ filter: "alpha running" })).toEqual([]);
    expect(names({ filter: rows[2]?.id.toLowerCase() })).toEqual(["b-docs"]);
    expect(names({ status: "failed" })).toEqual(["c-fix"]);
    expect(names({ swarmId: alpha.id, sortBy: "name" })).toEqual(["b-docs", "c-fix"]);
  });

  test("a header click sorts by its column, and a second click turns it round", () => {
    const byCost = sortOn(DEFAULT_TABLE_QUERY, "cost");
    expect(byCost).toMatchObject({ sortBy: "cost", descending: true });
    expect(sortOn(byCost, "cost").descending).toBe(false);
    expect(sortOn(DEFAULT_TABLE_QUERY, "name")).toMatchObject({ sortBy: "name", descending: false });
  });

  test("j/k move the selection, clamped; with none selected they start at an end", () => {
    const ids = ["a", "b", "c"];
    expect(stepSelection(ids, null, 1)).toBe("a");
    expect(stepSelection(ids, null, -1)).toBe("c");
    expect(stepSelection(ids, "b", 1)).toBe("c");
    expect(stepSelection(ids, "c", 1)).toBe("c");
    expect(stepSelection(ids, "a", -1)).toBe("a");
    expect(stepSelection(ids, "gone", 1)).toBe("a");
    expect(stepSelection([], "a", 1)).toBeNull();
    expect(stepSelection(ids, null, Number.NEGATIVE_INFINITY)).toBe("a");
    expect(stepSelection(ids, "a", Number.POSITIVE_INFINITY)).toBe("c");
  });
});

describe("rowWindow: a virtualised list", () => {
  test("draws the rows in view plus the overscan, with spacers for the rest", () => {
    expect(rowWindow(0, 300, 30, 1000, 5)).toEqual({ start: 0, end: 16, before: 0, after: 984 * 30 });
    const middle = rowWindow(3000, 300, 30, 1000, 5);
    expect(middle).toEqual({ start: 95, end: 116, before: 95 * 30, after: (1000 - 116) * 30 });
    expect(middle.before + (middle.end - middle.start) * 30 + middle.after).toBe(30_000);
    expect(rowWindow(1e9, 300, 30, 10, 2)).toMatchObject({ start: 7, end: 10, after: 0 });
    expect(rowWindow(0, 300, 30, 0)).toEqual({ start: 0, end: 0, before: 0, after: 0 });
  });

  test("scrollToRow moves only as far as needed to show a row", () => {
    expect(scrollToRow(5, 0, 300, 30)).toBeNull();
    expect(scrollToRow(20, 0, 300, 30)).toBe(21 * 30 - 300);
    expect(scrollToRow(2, 300, 300, 30)).toBe(60);
  });
});

describe("spendChart", () => {
  test("the past line ends at the spend; the projection reaches the allocation where the burn rate says", () => {
    const chart = spendChart({
      series: [0.5, 0.5, 1],
      spent: 3,
      allocated: 5,
      burnRate: 1,
      slotMs: 60_000,
      aheadMs: 180_000,
      width: 600,
      height: 100,
    });
    const past = chart.past.split(" ").map((p) => p.split(",").map(Number));
    expect(past).toHaveLength(4);
    expect(chart.top).toBeCloseTo(6.6);
    // It started at 1 (3 spent, 2 of it in the window) and ends at 3, at now (the middle).
    expect(past[0]?.[1]).toBeCloseTo(100 - (1 / 6.6) * 100, 0);
    expect(past.at(-1)).toEqual([300, Math.round((100 - (3 / 6.6) * 100) * 10) / 10]);
    expect(chart.nowX).toBe(300);
    // 6 spent by the end (3 + 1 per minute for 3 minutes), under the top of 6.6.
    expect(chart.projection).toBe(`300,${past.at(-1)?.[1]} 600,9.1`);
    // 2 left at 1 per minute: 2 minutes after now, two thirds of the way to the right edge.
    expect(chart.breach?.x).toBe(500);
    expect(chart.limitY).toBe(chart.breach?.y ?? -1);
  });

  test("nothing burning: no projection or breach; no allocation: no limit line; all zero: a flat chart", () => {
    const idle = spendChart({ series: [0, 0], spent: 1, allocated: 10, burnRate: null });
    expect(idle.projection).toBeNull();
    expect(idle.breach).toBeNull();
    const unlimited = spendChart({ series: [0], spent: 0, allocated: 0, burnRate: 0 });
    expect(unlimited.limitY).toBeNull();
    expect(unlimited.top).toBe(1);
    const over = spendChart({ series: [1], spent: 12, allocated: 10, burnRate: 2 });
    expect(over.breach).toBeNull();
    // $100 allocated over cents of spend: scaled to the spend, the allocation said, not drawn.
    const far = spendChart({ series: [0.1], spent: 0.5, allocated: 100, burnRate: null });
    expect(far).toMatchObject({ limitOff: true, limitY: null, top: 0.625 });
    expect(spendChart({ series: [1], spent: 3, allocated: 5, burnRate: null }).limitOff).toBe(false);
  });
});

describe("buildTree", () => {
  test("children under their parents in creation order; an orphan is a root", () => {
    const root = agent("root", { role: "root", createdAt: "2026-11-24T10:00:00.000Z" });
    const second = agent("child-2", { parentId: root.id, createdAt: "2026-11-24T10:00:02.000Z" });
    const first = agent("child-1", { parentId: root.id, createdAt: "2026-11-24T10:00:01.000Z" });
    const grandchild = agent("grandchild", { parentId: first.id, createdAt: "2026-11-24T10:00:03.000Z" });
    const orphan = agent("orphan", { parentId: "01JNOPARENT000000000000000" });
    const tree = buildTree([grandchild, second, orphan, first, root]);
    expect(tree.map((n) => n.agent.name)).toEqual(["root", "orphan"]);
    const rows = flattenTree(tree).map((r) => `${r.depth}:${r.agent.name}`);
    expect(rows).toEqual(["0:root", "1:child-1", "2:grandchild", "1:child-2", "0:orphan"]);
  });
});
