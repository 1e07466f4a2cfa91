import { describe, expect, test } from "bun:test";
import { AgentDetails } from "../../src/dashboard/components/agent-details.tsx";
import { BudgetPanel } from "../../src/dashboard/components/budget-panel.tsx";
import { callFigures, callsSummary, isCapped, meteringText } from "../../src/dashboard/model/calls.ts";
import { wrap } from "../../src/dashboard/model/format.ts";
import type { AgentResponse } from "../../src/domain/agent.ts";
import { agent, budgets, call, swarm } from "./fixtures.ts";
import { renderAt } from "./render.ts";

const BUDGET_KILL =
  "Dash budget: no room left for this call (the swarm budget of 01JSWARM000000000000000000: 0.05 spent of 0.05 USD); the agent is stopped";
const refused = call(
  {
    status: "refused",
    admitted: false,
    maxTokens: null,
    requestedMaxTokens: 4096,
    promptTokens: 0,
    completionTokens: 0,
    cost: 0,
    httpStatus: 400,
    error: BUDGET_KILL,
    endedAt: null,
    firstByteMs: null,
    latencyMs: null,
  },
  30,
);
const capped = call({ maxTokens: 800, completionTokens: 800, cost: 0.0156, latencyMs: 1630 }, 20);
const plain = call({}, 10);
const haiku = call(
  { model: "claude-haiku-4-5", promptTokens: 98, completionTokens: 12, cost: 0.0001, latencyMs: 230 },
  0,
);
const coder = agent("coder-1", {
  id: "01JAGENT000000000000000001",
  status: "killed",
  metering: "gateway",
  model: "claude-sonnet-4-5",
  cost: { promptTokens: 2506, completionTokens: 1122, totalTokens: 3628, amount: 0.0206 },
  error: { reason: "budget", message: BUDGET_KILL },
});

function details(who: AgentResponse, calls: (typeof plain)[] | null, width: number, height: number) {
  return renderAt(
    <AgentDetails
      agent={who}
      swarmName="api"
      parent={null}
      kids={[]}
      log={["one", "two", "three"]}
      calls={calls && { calls, more: false }}
      width={width}
      height={height}
    />,
    width,
    height,
  );
}

/** The colour (r,g,b) of the first span holding `text`. */
function colorOf(screen: Awaited<ReturnType<typeof details>>, text: string): string | undefined {
  const span = screen
    .captureSpans()
    .lines.flatMap((l) => l.spans)
    .find((s) => s.text.includes(text));
  return span?.fg.toInts().slice(0, 3).join(",");
}
const RED = "239,68,68";
const YELLOW = "234,179,8";

describe("AgentDetails: metering and model calls", () => {
  test("a budget-killed gateway agent at 98×19 (the details view at 100×30): its calls, capped and refused, and why it stopped", async () => {
    const screen = await details(coder, [refused, capped, plain, haiku], 98, 19);
    expect(screen.frame).toMatchSnapshot();
    const { frame } = screen;
    expect(frame).toContain("metering gateway: each call admitted before it is made");
    expect(frame).toContain(
      "calls    4 calls · 1 refused · 1 capped · last claude-sonnet-4-5 refused (asked out 4,096)",
    );
    // The budget kill reads in full over two lines when there is room.
    expect(frame).toContain("error    Dash budget: no room left for this call (the swarm budget of");
    expect(frame).toContain("         0.05 spent of 0.05 USD); the agent is stopped");
    expect(frame).toContain("── calls (newest first) ──");
    expect(frame).toContain("10:42:31 claude-sonnet-4-5 refused (asked out 4,096)");
    expect(frame).toContain(
      "10:42:21 claude-sonnet-4-5 in 1,204 / out 800 (capped from 1,000) $0.0156 1,630 ms",
    );
    expect(frame).toContain("10:42:11 claude-sonnet-4-5 in 1,204 / out 310 $0.0049 412 ms");
    // Room for three calls and a log of two: the oldest call is left to the summary's count.
    expect(frame).not.toContain("claude-haiku-4-5");
    expect(frame).toContain("── log (3 lines) ──");
    expect(frame).toContain("three");
    expect(colorOf(screen, "10:42:31")).toBe(RED);
    expect(colorOf(screen, "10:42:21")).toBe(YELLOW);
    expect(colorOf(screen, "10:42:11")).toBe("229,231,235");
    expect(colorOf(screen, "4 calls")).toBe(RED);
  });

  test("the last call capped: the calls row says so in yellow; a cramped pane keeps the log, not the list", async () => {
    const running = { ...coder, status: "running" as const, error: null };
    const screen = await details(running, [capped, plain], 52, 13);
    expect(screen.frame).toContain("calls    2 calls · 1 capped · last claude-sonnet-4-…");
    expect(colorOf(screen, "2 calls")).toBe(YELLOW);
    expect(screen.frame).not.toContain("── calls");
    expect(screen.frame).toContain("── log (3 lines) ──");
    // Narrower than 60 columns, the list leaves the clock out.
    const wide = await details(running, [capped, plain], 58, 20);
    expect(wide.frame).toContain("claude-sonnet-4-5 in 1,204 / out 310 $0.0049 412 ms");
    expect(wide.frame).not.toContain("10:42:11");
  });

  test("a pane shorter than its fields (110×24 puts 9 rows beside the grid) leaves out the least needed rows and the log, never overlaps them", async () => {
    const { frame } = await details(coder, [refused, capped], 48, 9);
    const rows = frame.trimEnd().split("\n");
    expect(rows).toHaveLength(9);
    expect(rows.map((r) => r.slice(0, 9).trim())).toEqual([
      "coder-1 K",
      "swarm",
      "model",
      "sandbox",
      "task",
      "progress",
      "cost",
      "calls",
      "error",
    ]);
    expect(frame).toContain("error    Dash budget: no room left for this cal…");
  });

  test("a reporting agent, one before it ran, and a gateway agent with no calls yet", async () => {
    const reports = await details(agent("shell", { metering: "reports" }), null, 80, 12);
    expect(reports.frame).toContain("metering reports: counted from what it reports");
    expect(reports.frame).toContain("calls    -");
    const fresh = await details(agent("fresh", { status: "idle" }), null, 80, 12);
    expect(fresh.frame).toContain("metering -");
    const none = await details(agent("new", { metering: "gateway" }), [], 80, 12);
    expect(none.frame).toContain("calls    none yet");
  });
});

describe("call summaries", () => {
  test("capped only when allowed less than it asked; open, lost and released say so", () => {
    expect(isCapped(capped)).toBe(true);
    expect(isCapped(plain)).toBe(false);
    expect(isCapped(refused)).toBe(false);
    expect(callFigures({ ...capped, status: "open", latencyMs: null })).toBe(
      "in flight, out up to 800 (capped from 1,000)",
    );
    expect(callFigures({ ...plain, status: "lost", cost: 1.5, latencyMs: null })).toBe(
      "in 1,204 / out 310 $1.50 lost",
    );
    expect(callFigures({ ...refused, requestedMaxTokens: null })).toBe("refused");
  });

  test("counts are of the page loaded; older ones make it n+", () => {
    expect(callsSummary({ calls: [plain], more: false }, "gateway")).toBe(
      "1 call · last claude-sonnet-4-5 in 1,204 / out 310 $0.0049 412 ms",
    );
    expect(callsSummary({ calls: [{ ...plain, status: "open" }, haiku], more: true }, "gateway")).toMatch(
      /^2\+ calls · 1 in flight · last/,
    );
    expect(callsSummary(null, "gateway")).toBe("-");
    expect(meteringText(null)).toBe("-");
  });

  test("wrap breaks at spaces, cuts a long word, and ends with … past its lines", () => {
    expect(wrap("one two three four", 9, 3)).toEqual(["one two", "three", "four"]);
    expect(wrap("one two three four", 9, 2)).toEqual(["one two", "three fo…"]);
    expect(wrap("abcdefghijkl", 5, 2)).toEqual(["abcde", "fghi…"]);
    expect(wrap("", 5, 2)).toEqual([]);
  });
});

describe("BudgetPanel: spend by model", () => {
  const api = swarm("api-refactor");
  const list = {
    ...budgets([[api.id, 0.04, 5]]),
    byModel: [
      {
        model: "claude-haiku-4-5",
        calls: 3,
        refused: 0,
        promptTokens: 300,
        completionTokens: 40,
        cost: 0.0004,
      },
      {
        model: "claude-sonnet-4-5",
        calls: 12,
        refused: 1,
        promptTokens: 9000,
        completionTokens: 2100,
        cost: 0.0312,
      },
      { model: "gpt-5", calls: 1, refused: 0, promptTokens: 10, completionTokens: 2, cost: 0.0001 },
    ],
  };
  const panel = (width: number, swarmRows: number) =>
    renderAt(
      <BudgetPanel
        budgets={list}
        names={new Map([[api.id, api.name]])}
        history={[0, 1]}
        width={width}
        swarmRows={swarmRows}
      />,
      width,
      swarmRows + 2,
    );

  test("beside the totals on a wide terminal, the most spent first, as many as the panel has rows", async () => {
    const screen = await panel(150, 1);
    const rows = screen.frame.split("\n");
    expect(rows[0]).toContain("Total: $0.04 / $5.00");
    expect(rows[0]?.slice(102)).toBe("claude-sonnet-4-5      $0.03 12 calls, 1 refused");
    expect(rows[1]?.slice(102)).toBe("claude-haiku-4-5     $0.0004 3 calls            ");
    expect(rows[2]).toContain("api-refactor");
    expect(rows[2]?.slice(102)).toBe("gpt-5                $0.0001 1 call             ");
    expect(colorOf(screen, "1 refused")).toBe(RED);
  });

  test("left out below 144 columns: the 100×30 panel keeps its full bars", async () => {
    const { frame } = await panel(98, 2);
    expect(frame).not.toContain("claude-sonnet");
    expect(frame).toContain("░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░ 1%");
  });
});
