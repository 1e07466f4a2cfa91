import { describe, expect, test } from "bun:test";
import { AgentDetails } from "../../src/dashboard/components/agent-details.tsx";
import { AgentGrid } from "../../src/dashboard/components/agent-grid.tsx";
import { ApprovalsView } from "../../src/dashboard/components/approvals-view.tsx";
import { BudgetPanel } from "../../src/dashboard/components/budget-panel.tsx";
import { ConfirmDialog } from "../../src/dashboard/components/confirm-dialog.tsx";
import { EventStream, splitMatches } from "../../src/dashboard/components/event-stream.tsx";
import { Header } from "../../src/dashboard/components/header.tsx";
import { HelpOverlay } from "../../src/dashboard/components/help-overlay.tsx";
import { SettingsView } from "../../src/dashboard/components/settings-view.tsx";
import { StatusBar } from "../../src/dashboard/components/status-bar.tsx";
import { SwarmSelector } from "../../src/dashboard/components/swarm-selector.tsx";
import type { EventLine } from "../../src/dashboard/model/describe-event.ts";
import { agent, approval, budgets, MERGE_DETAILS, swarm } from "./fixtures.ts";
import { renderAt } from "./render.ts";

const ids = (n: number) => `01JAGENT0000000000000000${String(n).padStart(2, "0")}`;
const team = [
  agent("jarvis", {
    id: ids(1),
    task: "auth",
    progress: { current: 8, total: 10, percentage: 80 },
    cost: { promptTokens: 10, completionTokens: 5, totalTokens: 15, amount: 1.5 },
  }),
  agent("friday", { id: ids(2), status: "idle", task: "" }),
  agent("vision", { id: ids(3), status: "failed", task: "docs", error: { message: "API timeout" } }),
];
const noop = () => {};

describe("AgentGrid", () => {
  test("shows ID, NAME, STATUS, TASK (a failed one: why), PROGRESS and COST for each agent at 80 columns", async () => {
    const { frame } = await renderAt(
      <AgentGrid
        agents={team}
        selectedId={ids(1)}
        sortBy="name"
        width={78}
        height={6}
        onSelect={noop}
        onSort={noop}
      />,
      78,
      6,
    );
    expect(frame).toMatchSnapshot();
    for (const text of [
      "ID",
      "NAME▼",
      "STATUS",
      "TASK",
      "PROGRESS",
      "COST",
      "jarvis",
      "RUNNING",
      "IDLE",
      "FAILED",
    ]) {
      expect(frame).toContain(text);
    }
    expect(frame).toContain("████████░░  80%");
    expect(frame).toContain("$1.50");
    expect(frame).toContain("00000001  jarvis");
  });

  test("renders only the rows that fit and keeps the selected one in view", async () => {
    const many = Array.from({ length: 1000 }, (_, i) => agent(`agent-${String(i).padStart(4, "0")}`));
    const selected = many[500]?.id ?? null;
    const { frame } = await renderAt(
      <AgentGrid
        agents={many}
        selectedId={selected}
        sortBy="cost"
        width={60}
        height={11}
        onSelect={noop}
        onSort={noop}
      />,
      60,
      11,
    );
    const rows = frame.split("\n").filter((l) => l.includes("agent-"));
    expect(rows).toHaveLength(10);
    expect(frame).toContain("agent-0500");
    expect(frame).toContain("COST▼");
    expect(frame).not.toContain("agent-0000");
  });

  test("a click on a header sorts by it; a click on a row selects it; no agents says how to make some", async () => {
    const sorts: string[] = [];
    const selected: string[] = [];
    const setup = await renderAt(
      <AgentGrid
        agents={team}
        selectedId={null}
        sortBy="name"
        width={78}
        height={6}
        onSelect={(id) => selected.push(id)}
        onSort={(s) => sorts.push(s)}
      />,
      78,
      6,
    );
    const header = setup.frame.split("\n")[0] ?? "";
    await setup.mockMouse.click(header.indexOf("STATUS") + 1, 0);
    await setup.mockMouse.click(header.indexOf("COST") + 1, 0);
    await setup.mockMouse.click(20, 2);
    expect(sorts).toEqual(["status", "cost"]);
    expect(selected).toEqual([ids(2)]);
    const empty = await renderAt(
      <AgentGrid
        agents={[]}
        selectedId={null}
        sortBy="name"
        width={78}
        height={4}
        onSelect={noop}
        onSort={noop}
      />,
      78,
      4,
    );
    expect(empty.frame).toContain("No agents yet");
  });
});

const line = (n: number, level: EventLine["level"], who: string, text: string): EventLine => ({
  id: `e${n}`,
  time: `2026-11-24T10:42:0${n}.000Z`,
  who,
  level,
  text,
});
const lines = [
  line(1, "info", "jarvis", "completed"),
  line(2, "warn", "swarm-1", "budget warning at 75% → notify"),
  line(3, "error", "friday", "failed: API timeout"),
];

describe("EventStream", () => {
  test("shows time, who, level and text, newest at the bottom", async () => {
    const { frame, captureSpans } = await renderAt(
      <EventStream lines={lines} width={60} height={3} autoScroll cursorId={null} search="" />,
      60,
      3,
    );
    expect(frame).toMatchSnapshot();
    expect(frame).toContain("[10:42:01] jarvis       INFO  completed");
    expect(frame).toContain("WARN  budget warning at 75%");
    expect(frame.split("\n")[2]).toContain("ERROR failed: API timeout");
    const colors = captureSpans()
      .lines.flatMap((l) => l.spans)
      .filter((s) => s.text.includes("ERROR") || s.text.includes("WARN"))
      .map((s) => s.fg.toInts().slice(0, 3).join(","));
    expect(colors).toContain("234,179,8");
    expect(colors).toContain("239,68,68");
  });

  test("follows the tail; paused, it stays on the cursor; matches are split out for highlighting", async () => {
    const many = Array.from({ length: 50 }, (_, i) => line(i % 10, "info", `agent-${i}`, `step ${i}`)).map(
      (l, i) => ({ ...l, id: `e${i}` }),
    );
    const following = await renderAt(
      <EventStream lines={many} width={50} height={4} autoScroll cursorId={null} search="" />,
      50,
      4,
    );
    expect(following.frame).toContain("step 49");
    expect(following.frame).not.toContain("step 45");
    const paused = await renderAt(
      <EventStream lines={many} width={50} height={4} autoScroll={false} cursorId="e10" search="step 1" />,
      50,
      4,
    );
    expect(paused.frame).toContain("step 10");
    expect(paused.frame).not.toContain("step 49");
    const highlighted = paused
      .captureSpans()
      .lines.flatMap((l) => l.spans)
      .filter((s) => s.bg.toInts()[0] === 161);
    expect(highlighted.map((s) => s.text)).toContain("step 1");
    expect(splitMatches("Step 1, step 12", "STEP 1")).toEqual(["", "Step 1", ", ", "step 1", "2"]);
    expect(splitMatches("abc", "")).toEqual(["abc"]);
    const none = await renderAt(
      <EventStream lines={[]} width={30} height={2} autoScroll cursorId={null} search="" />,
      30,
      2,
    );
    expect(none.frame).toContain("No events yet.");
  });
});

describe("AgentDetails", () => {
  test("fields, cost breakdown, family and the tail of the log", async () => {
    const child = agent("child-1", { status: "completed" });
    const { frame } = await renderAt(
      <AgentDetails
        agent={team[2] ?? null}
        swarmName="api-refactor"
        parent={team[0] ?? null}
        kids={[child]}
        log={["line one", "line two", "line three"]}
        calls={null}
        width={70}
        height={14}
      />,
      70,
      14,
    );
    expect(frame).toMatchSnapshot();
    expect(frame).toContain("sandbox  -");
    for (const text of [
      "vision FAILED",
      ids(3),
      "api-refactor · worker",
      "claude-sonnet-4",
      "docs",
      "parent jarvis",
      "child-1 (completed)",
      "API timeout",
      "── log (3 lines) ──",
      "line three",
    ]) {
      expect(frame).toContain(text);
    }
  });

  test("a worktree agent shows its branch and what it changed there", async () => {
    const git = {
      branch: "dash/feat/edge",
      commits: [
        { sha: "a", subject: "one" },
        { sha: "b", subject: "two" },
      ],
      files: [{ path: "x", insertions: 5, deletions: 2 }],
      insertions: 5,
      deletions: 2,
    };
    const { frame } = await renderAt(
      <AgentDetails
        agent={agent("edge", { status: "completed", result: { output: null, git } })}
        swarmName={null}
        parent={null}
        kids={[]}
        log={[]}
        calls={null}
        width={80}
        height={10}
      />,
      80,
      10,
    );
    expect(frame).toContain("git      dash/feat/edge · 2 commits · 1 file +5 -2");
  });

  test("an unconfined agent says so; a confined one names its sandbox", async () => {
    const show = (sandbox: "bwrap" | "off") =>
      renderAt(
        <AgentDetails
          agent={agent("edge", { sandbox })}
          swarmName={null}
          parent={null}
          kids={[]}
          log={[]}
          calls={null}
          width={80}
          height={8}
        />,
        80,
        8,
      );
    const off = await show("off");
    expect(off.frame).toContain("sandbox  OFF: unconfined (the swarm set fileSandbox: false)");
    const warned = off
      .captureSpans()
      .lines.flatMap((l) => l.spans)
      .filter((span) => span.text.includes("OFF: unconfined"))
      .map((span) => span.fg.toInts().slice(0, 3).join(","));
    expect(warned).toEqual(["234,179,8"]);
    expect((await show("bwrap")).frame).toContain("sandbox  bwrap: files confined to its workspace");
  });

  test("says how to select when nothing is, and cuts the log to the room left", async () => {
    const empty = await renderAt(
      <AgentDetails
        agent={null}
        swarmName={null}
        parent={null}
        kids={[]}
        log={[]}
        calls={null}
        width={50}
        height={5}
      />,
      50,
      5,
    );
    expect(empty.frame).toContain("No agent selected");
    const log = Array.from({ length: 40 }, (_, i) => `output ${i}`);
    const { frame } = await renderAt(
      <AgentDetails
        agent={team[0] ?? null}
        swarmName={null}
        parent={null}
        kids={[]}
        log={log}
        calls={null}
        width={60}
        height={12}
      />,
      60,
      12,
    );
    expect(frame).toContain("output 39");
    expect(frame).not.toContain("output 30");
    expect(frame).toContain("$1.50 · prompt 10 · completion 5 · total 15 tok");
    expect(frame).toContain("8/10");
  });
});

describe("BudgetPanel", () => {
  test("total bar, burn rate, projection, time left, sparkline and per-swarm bars", async () => {
    const s1 = swarm("api-refactor");
    const s2 = swarm("docs");
    const list = budgets([
      [s1.id, 8, 10],
      [s2.id, 1, 10],
    ]);
    const names = new Map([
      [s1.id, s1.name],
      [s2.id, s2.name],
    ]);
    const { frame } = await renderAt(
      <BudgetPanel budgets={list} names={names} history={[0, 1, 2, 4]} width={90} swarmRows={2} />,
      90,
      4,
    );
    expect(frame).toMatchSnapshot();
    expect(frame).toContain("Total: $9.00 / $20.00");
    expect(frame).toContain("45%");
    expect(frame).toContain("burn $1.00/min · projected $11.00 · left 12 min");
    expect(frame).toContain("▁▃▅█");
    expect(frame).toContain("api-refactor");
    expect(frame).toContain("80% warning");
    expect(frame.indexOf("api-refactor")).toBeLessThan(frame.indexOf("docs"));
  });

  test("before budgets load it shows zeros, not a crash", async () => {
    const { frame } = await renderAt(
      <BudgetPanel budgets={null} names={new Map()} history={[0, 0]} width={60} swarmRows={0} />,
      60,
      2,
    );
    expect(frame).toContain("Total: $0.00 / $0.00");
    expect(frame).toContain("left -");
  });
});

describe("ApprovalsView", () => {
  const now = Date.UTC(2026, 10, 24, 10, 42, 0);
  const jarvis = team[0];
  const names = (id: string) => ({ [ids(1)]: "jarvis", "01JSWARM000000000000000000": "api-refactor" })[id];
  const asks = [
    approval("deploy to prod?", { agentId: jarvis?.id ?? null, details: { env: "prod" } }, 14.5, now),
    approval("api-refactor may go on?", { kind: "budget" }, 0.5, now),
    approval("of a stranger", { agentId: "01JAGENT00000000000000XYZ9", swarmId: null }, 90, now),
    approval("of nobody", { swarmId: null }, -1, now),
  ];

  test("lists title, kind, for whom and the time left; the selected one's details below", async () => {
    const { frame, captureSpans } = await renderAt(
      <ApprovalsView approvals={asks} selectedId={null} names={names} now={now} width={100} height={30} />,
      100,
      30,
    );
    expect(frame).toContain("Approvals 4 (y approve · n deny · Esc closes)");
    expect(frame).toContain("KIND   FOR             LEFT     TITLE");
    expect(frame).toContain("agent  jarvis          14m 30s  deploy to prod?");
    expect(frame).toContain("budget api-refactor    30s      api-refactor may go on?");
    expect(frame).toContain("agent  0000xyz9        1h 30m   of a stranger");
    expect(frame).toContain("agent  —               expired  of nobody");
    expect(frame).toContain('details {"env":"prod"}');
    const selected = captureSpans()
      .lines.flatMap((l) => l.spans)
      .filter((span) => span.bg.toInts()[2] === 175);
    expect(selected.map((span) => span.text).join("")).toContain("deploy to prod?");
  });

  test("keeps the selection in view when the list is longer than the room; says so when empty", async () => {
    const many = Array.from({ length: 30 }, (_, i) => approval(`question ${i}`, {}, i + 1, now));
    const { frame } = await renderAt(
      <ApprovalsView
        approvals={many}
        selectedId={many[25]?.id ?? null}
        names={names}
        now={now}
        width={80}
        height={24}
      />,
      80,
      24,
    );
    expect(frame).toContain("question 25");
    expect(frame).not.toContain("question 0 ");
    expect(frame).not.toContain("details");
    const empty = await renderAt(
      <ApprovalsView approvals={[]} selectedId={null} names={names} now={now} width={80} height={24} />,
      80,
      24,
    );
    expect(empty.frame).toContain("Approvals 0");
    expect(empty.frame).toContain("No approval requests are waiting for an answer.");
  });

  test("a selected merge approval shows its conflicting files and its sides numbered for 1–9", async () => {
    const merge = approval("merge of swarm api-refactor into integration stopped", {
      kind: "merge",
      details: MERGE_DETAILS,
    });
    const mixed = [merge, ...asks];
    const { frame } = await renderAt(
      <ApprovalsView
        approvals={mixed}
        selectedId={merge.id}
        names={names}
        now={now}
        width={100}
        height={30}
      />,
      100,
      30,
    );
    expect(frame).toContain("Approvals 5 (1–2 keep a side · n deny · Esc closes)");
    expect(frame).toContain("merge  api-refactor");
    expect(frame).toContain("conflict in src/a.ts, src/b.ts: keep which side?");
    expect(frame).toContain("  1. agent-2 (dash/api/agent-2)");
    expect(frame).toContain("  2. integration (integration)");
    expect(frame).not.toContain("details {");
    // The overlay grows by the sides: all five requests still fit, the last one above its border.
    expect(frame).toContain("of nobody");
    // Another selection shows its details as before, and a merge approval whose details say no
    // conflict reads like any other.
    const other = await renderAt(
      <ApprovalsView
        approvals={mixed}
        selectedId={asks[0]?.id ?? null}
        names={names}
        now={now}
        width={100}
        height={30}
      />,
      100,
      30,
    );
    expect(other.frame).toContain("Approvals 5 (y approve · n deny");
    expect(other.frame).not.toContain("1. agent-2");
    const odd = approval("merge?", { kind: "merge", details: { target: "integration" } }, 5, now);
    const malformed = await renderAt(
      <ApprovalsView approvals={[odd]} selectedId={null} names={names} now={now} width={80} height={24} />,
      80,
      24,
    );
    expect(malformed.frame).toContain('details {"target":"integration"}');
  });
});

describe("Header, SwarmSelector, StatusBar, overlays, settings", () => {
  test("the header counts and shows the connection state", async () => {
    const live = await renderAt(
      <Header
        agents={15}
        running={5}
        swarms={3}
        spent={45.23}
        allocated={100}
        connection="live"
        approvals={0}
      />,
      80,
      1,
    );
    expect(live.frame).toMatchSnapshot();
    expect(live.frame).toContain("◆ DASH │ agents 15 (5 running) │ swarms 3 │ $45.23 / $100.00");
    expect(live.frame).toContain("● live");
    const away = await renderAt(
      <Header
        agents={0}
        running={0}
        swarms={0}
        spent={0}
        allocated={0}
        connection="reconnecting"
        approvals={0}
      />,
      80,
      1,
    );
    expect(away.frame).toContain("◌ reconnecting");
    expect(away.frame).not.toContain("approval");
    const off = await renderAt(
      <Header agents={0} running={0} swarms={0} spent={0} allocated={0} connection="offline" approvals={1} />,
      80,
      1,
    );
    expect(off.frame).toContain("1 approval ○ offline");
    const asking = await renderAt(
      <Header
        agents={15}
        running={5}
        swarms={3}
        spent={45.23}
        allocated={100}
        connection="live"
        approvals={2}
      />,
      80,
      1,
    );
    expect(asking.frame).toContain("$45.23 / $100.00");
    expect(asking.frame).toContain("2 approvals ● live");
    const warn = asking
      .captureSpans()
      .lines.flatMap((l) => l.spans)
      .find((span) => span.text.includes("2 approvals"));
    expect(warn?.fg.toInts().slice(0, 3)).toEqual([0xea, 0xb3, 0x08]);
  });

  test("the swarm tabs count agents per swarm", async () => {
    const s1 = swarm("api");
    const s2 = swarm("docs", { status: "paused" });
    const counts = new Map([
      [s1.id, 4],
      [s2.id, 2],
    ]);
    const { frame } = await renderAt(
      <SwarmSelector swarms={[s1, s2]} selectedId={s2.id} agentCounts={counts} />,
      60,
      1,
    );
    expect(frame).toContain("swarm [ ]  all (6)  api (4)  docs (2)");
  });

  test("the status bar shows view, hints or a notice, the search being typed, and the last update", async () => {
    const base = {
      view: "grid",
      sortBy: "cost",
      autoScroll: false,
      draft: null,
      search: "",
      matches: 0,
      notice: null,
      width: 80,
    } as const;
    const at = Date.UTC(2026, 10, 24, 10, 42, 3);
    const hints = await renderAt(<StatusBar {...base} lastUpdate={at} />, 80, 1);
    expect(hints.frame).toContain("[1 grid] sort:cost · follow:off · ? help · q quit");
    expect(hints.frame).toContain("updated 10:42:03");
    const notice = await renderAt(
      <StatusBar {...base} view="logs" notice="kill failed: gone" lastUpdate={null} />,
      80,
      1,
    );
    expect(notice.frame).toContain("[2 logs] kill failed: gone");
    expect(notice.frame).toContain("no data yet");
    const typing = await renderAt(<StatusBar {...base} draft="time" matches={1} lastUpdate={null} />, 80, 1);
    expect(typing.frame).toContain("/time█  1 match · Enter search · Esc cancel");
    const searched = await renderAt(
      <StatusBar {...base} search="time" matches={3} lastUpdate={null} />,
      80,
      1,
    );
    expect(searched.frame).toContain("/time 3 matches");
  });

  test("help lists every key; the confirm dialog asks; settings say where the dashboard is connected", async () => {
    const help = await renderAt(<HelpOverlay />, 60, 20);
    for (const key of [
      "j / ↓",
      "k / ↑",
      "g / G",
      "Enter",
      "x",
      "r",
      "1-4",
      "a",
      "A",
      "y / n",
      "1-9",
      "/",
      "n / N",
      "?",
      "q / Ctrl+C",
    ]) {
      expect(help.frame).toContain(key);
    }
    const confirm = await renderAt(<ConfirmDialog question="Kill agent jarvis?" />, 60, 10);
    expect(confirm.frame).toContain("Kill agent jarvis?");
    expect(confirm.frame).toContain("y / Enter: yes");
    const settings = await renderAt(
      <SettingsView
        url="http://127.0.0.1:7373"
        keySource="--key"
        version="0.1.0"
        batchMs={50}
        react="development"
        agents={3}
        events={10}
      />,
      90,
      9,
    );
    expect(settings.frame).toContain("React build   development: for debugging, memory grows per render");
    expect(settings.frame).toContain("http://127.0.0.1:7373");
    expect(settings.frame).toContain("50 ms");
    expect(settings.frame).toContain("10 of 1000 events");
  });
});
