import { expect, test } from "bun:test";
import { runDemoAgent } from "../../src/runtimes/demo-agent.ts";
import { reportOf } from "../../src/runtimes/report-protocol.ts";

test("the demo agent says it is a demo and reports valid progress, usage and a result", async () => {
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => lines.push(line);
  try {
    expect(await runDemoAgent("0")).toBe(0);
  } finally {
    console.log = log;
  }
  expect(lines[0]).toContain("demo agent");
  const reports = lines.map(reportOf).filter((r) => r !== null);
  expect(reports.filter((r) => r.kind === "progress")).toHaveLength(10);
  expect(
    reports.filter((r) => r.kind === "usage").every((r) => r.kind === "usage" && r.usage.costUsd > 0),
  ).toBe(true);
  expect(reports.at(-1)).toEqual({ kind: "result", value: { demo: true, steps: 10 } });
});
