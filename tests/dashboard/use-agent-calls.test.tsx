import { describe, expect, test } from "bun:test";
import { act, useState } from "react";
import {
  type CallLister,
  type CallsTiming,
  useAgentCalls,
} from "../../src/dashboard/hooks/use-agent-calls.ts";
import type { AgentResponse } from "../../src/domain/agent.ts";
import { agent, call } from "./fixtures.ts";
import { frameOf, renderAt } from "./render.ts";

/** A lister that counts what it was asked and answers with one call of the agent asked about. */
function lister(options: { fails?: () => boolean; delayMs?: (id: string) => number } = {}) {
  const asked: string[] = [];
  const list: CallLister = async (agentId, limit) => {
    asked.push(`${agentId.slice(-2)} ${limit}`);
    await Bun.sleep(options.delayMs?.(agentId) ?? 0);
    if (options.fails?.()) throw new Error("server gone");
    return { calls: [call({ agentId, model: `model-of-${agentId.slice(-2)}` })], nextCursor: null };
  };
  return { list, asked };
}

const controls: { set?: (agent: AgentResponse | null) => void; active?: (on: boolean) => void } = {};

function Probe(props: { list: CallLister; first: AgentResponse | null; timing: CallsTiming }) {
  const [who, setWho] = useState(props.first);
  const [active, setActive] = useState(true);
  controls.set = setWho;
  controls.active = setActive;
  const page = useAgentCalls(props.list, who, active, props.timing);
  return <text>{page ? `shown ${page.calls.map((c) => c.model).join(",")}` : "shown nothing"}</text>;
}

const a1 = agent("one", { id: "01JAGENT0000000000000000A1", status: "running", metering: "gateway" });
const a2 = agent("two", { id: "01JAGENT0000000000000000A2", status: "completed", metering: "gateway" });
const spent = (who: AgentResponse, tokens: number): AgentResponse => ({
  ...who,
  cost: { ...who.cost, totalTokens: tokens, amount: tokens / 1e6 },
  version: who.version + 1,
});
const wait = (ms: number) => act(() => Bun.sleep(ms));

async function mount(list: CallLister, first: AgentResponse | null, timing: CallsTiming) {
  const screen = await renderAt(<Probe list={list} first={first} timing={timing} />, 60, 1);
  return { screen, shown: () => frameOf(screen).then((f) => f.trim()) };
}

describe("useAgentCalls", () => {
  test("loads the selected agent once, then again when its usage or status changes, not on progress", async () => {
    const { list, asked } = lister();
    const { shown } = await mount(list, a1, { everyMs: 60_000, gapMs: 20, limit: 7 });
    await wait(10);
    expect(await shown()).toBe("shown model-of-A1");
    expect(asked).toEqual(["A1 7"]);
    act(() => controls.set?.({ ...a1, progress: { current: 1, total: 2, percentage: 50 }, version: 9 }));
    await wait(30);
    expect(asked).toHaveLength(1);
    act(() => controls.set?.(spent(a1, 500)));
    await wait(30);
    expect(asked).toHaveLength(2);
    act(() => controls.set?.({ ...spent(a1, 500), status: "killed" }));
    await wait(30);
    expect(asked).toHaveLength(3);
  });

  test("a burst of usage is a few loads, at least gapMs apart", async () => {
    const { list, asked } = lister();
    const started = performance.now();
    await mount(list, a1, { everyMs: 60_000, gapMs: 40 });
    for (let i = 1; i <= 30; i++) {
      act(() => controls.set?.(spent(a1, i * 100)));
      await wait(2);
    }
    const burst = performance.now() - started;
    await wait(60);
    // The first load, then at most one per 40 ms of the burst, and one after its last change.
    expect(asked.length).toBeGreaterThanOrEqual(2);
    expect(asked.length).toBeLessThanOrEqual(2 + Math.ceil(burst / 40));
    expect(asked.length).toBeLessThan(30);
  });

  test("polls while the agent runs, not once it has finished", async () => {
    const { list, asked } = lister();
    await mount(list, a1, { everyMs: 15, gapMs: 0 });
    await wait(70);
    const running = asked.length;
    expect(running).toBeGreaterThanOrEqual(2);
    act(() => controls.set?.({ ...a1, status: "completed" }));
    await wait(10);
    const finished = asked.length;
    await wait(60);
    expect(asked.length).toBe(finished);
  });

  test("nothing is loaded for a reporting agent, none selected, or details not shown", async () => {
    const { list, asked } = lister();
    const { shown } = await mount(list, { ...a1, metering: "reports" }, { everyMs: 10 });
    await wait(30);
    expect(await shown()).toBe("shown nothing");
    act(() => controls.set?.(null));
    await wait(20);
    act(() => controls.active?.(false));
    act(() => controls.set?.(a1));
    await wait(30);
    expect(asked).toEqual([]);
    act(() => controls.active?.(true));
    await wait(10);
    expect(await shown()).toBe("shown model-of-A1");
  });

  test("another agent selected: the old page is hidden until its own arrives; a failed load keeps what was shown", async () => {
    let failing = false;
    const { list, asked } = lister({ fails: () => failing, delayMs: (id) => (id.endsWith("A2") ? 40 : 0) });
    const { shown } = await mount(list, a1, { everyMs: 60_000, gapMs: 0 });
    await wait(10);
    expect(await shown()).toBe("shown model-of-A1");
    act(() => controls.set?.(a2));
    await wait(5);
    expect(await shown()).toBe("shown nothing");
    await wait(60);
    expect(await shown()).toBe("shown model-of-A2");
    failing = true;
    act(() => controls.set?.({ ...a2, status: "killed" }));
    await wait(60);
    expect(asked).toHaveLength(3);
    expect(await shown()).toBe("shown model-of-A2");
  });
});
