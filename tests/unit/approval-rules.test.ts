import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeContext } from "../../src/cli/approval-show.ts";
import { lastLines } from "../../src/core/approval-context.ts";
import { ruleFor } from "../../src/core/approval-rules.ts";
import { type ApprovalContext, boundContext, CONTEXT_BOUNDS } from "../../src/domain/approval-context.ts";
import { type ApprovalRuleRecord, globMatches, literalPattern } from "../../src/domain/approval-rule.ts";
import type { NewApproval } from "../../src/storage/store.ts";
import { tempHome } from "../helpers.ts";

test("globs: `*` is any text (none too), the whole title must match, `\\*` is a star", () => {
  const cases: [string, string, boolean][] = [
    ["Run tests?", "Run tests?", true],
    ["Run tests?", "Run tests? now", false],
    ["Run *", "Run tests?", true],
    ["Run *", "Run ", true],
    ["Run *", "Ru", false],
    ["*tests*", "Run the tests now", true],
    ["*a*b*", "xxbxxa", false],
    ["*a*b*", "xaxxbx", true],
    ["a*a", "a", false],
    ["a*a", "aa", true],
    ["*", "", true],
    ["Remove \\*.tmp?", "Remove *.tmp?", true],
    ["Remove \\*.tmp?", "Remove all.tmp?", false],
    ["back\\\\slash", "back\\slash", true],
    ["dots.and(parens)[x]", "dots.and(parens)[x]", true],
    ["dots.and", "dotsXand", false],
    ["multi*line", "multi\nline", true],
  ];
  for (const [pattern, title, expected] of cases)
    expect([pattern, title, globMatches(pattern, title)]).toEqual([pattern, title, expected]);
  // Many stars (a backtracking RegExp would take ages here; the matcher is linear per part).
  expect(globMatches("*a".repeat(250), `${"a".repeat(499)}b`)).toBe(false);
  expect(globMatches("*a".repeat(250), "a".repeat(250))).toBe(true);
  for (const title of ["Remove *.tmp?", "a\\b*c", "plain"])
    expect(globMatches(literalPattern(title), title)).toBe(true);
  expect(globMatches(literalPattern("Remove *.tmp?"), "Remove x.tmp?")).toBe(false);
});

const rule = (
  id: string,
  action: "approve" | "deny",
  pattern: string,
  swarmId: string | null = null,
): ApprovalRuleRecord => ({
  id,
  action,
  pattern,
  swarmId,
  createdBy: null,
  fromApprovalId: null,
  createdAt: 0,
});

const approval = (
  title: string,
  swarmId: string | null,
  kind: NewApproval["kind"] = "agent",
): NewApproval => ({
  id: "A",
  kind,
  agentId: null,
  swarmId,
  title,
  details: {},
  context: null,
  onTimeout: "deny",
  createdAt: 0,
  expiresAt: 1,
});

test("which rule answers: deny over approve, a swarm's own over every swarm's, older over newer; never a merge", () => {
  const rules = [
    rule("R1", "approve", "Deploy *"),
    rule("R2", "approve", "Deploy *", "S1"),
    rule("R3", "deny", "Deploy to prod*"),
    rule("R4", "approve", "Run *", "S2"),
    rule("R5", "approve", "Run *"),
  ];
  expect(ruleFor(rules, approval("Deploy to staging", "S1"))?.id).toBe("R2");
  expect(ruleFor(rules, approval("Deploy to staging", "S9"))?.id).toBe("R1");
  expect(ruleFor(rules, approval("Deploy to prod now", "S1"))?.id).toBe("R3");
  expect(ruleFor(rules, approval("Run it", "S2"))?.id).toBe("R4");
  expect(ruleFor(rules, approval("Run it", null))?.id).toBe("R5");
  expect(ruleFor(rules, approval("Something else", "S1"))).toBeNull();
  expect(ruleFor(rules, approval("Deploy to staging", "S1", "merge"))).toBeNull();
});

const context = (over: Partial<ApprovalContext> = {}): ApprovalContext => ({
  task: "t",
  agent: null,
  swarm: null,
  log: [],
  onTimeout: { action: "deny", at: new Date(0).toISOString() },
  answer: { approve: "dash approvals approve A", deny: "dash approvals deny A" },
  ...over,
});

test("the context stays within its bounds: texts cut, then old log lines, files and the task go", () => {
  const long = "x".repeat(5000);
  const files = Array.from({ length: 100 }, (_, i) => ({
    path: `${i}-${long}`,
    insertions: 1,
    deletions: 0,
  }));
  const bounded = boundContext(context({ task: long, log: Array.from({ length: 50 }, () => long), files }));
  expect(Buffer.byteLength(JSON.stringify(bounded))).toBeLessThanOrEqual(CONTEXT_BOUNDS.bytes);
  expect(bounded.task?.length).toBeLessThanOrEqual(CONTEXT_BOUNDS.task);
  expect(bounded.log.length).toBeLessThanOrEqual(CONTEXT_BOUNDS.logLines);
  expect((bounded.files?.length ?? 0) + (bounded.filesMore ?? 0)).toBe(100);
  for (const l of bounded.log) expect(l.length).toBeLessThanOrEqual(CONTEXT_BOUNDS.lastLine);
  // Control characters serialize six times their length: even then it fits, the task cut short.
  const worst = boundContext(context({ task: "\u0001".repeat(5000), log: ["\u0001".repeat(500)], files }));
  expect(Buffer.byteLength(JSON.stringify(worst))).toBeLessThanOrEqual(CONTEXT_BOUNDS.bytes);
  // Small ones are kept whole.
  const small = context({ log: ["a", "b"], files: [{ path: "f", insertions: 1, deletions: 2 }] });
  expect(boundContext(small)).toEqual({ ...small, filesMore: 0 });
});

test("lastLines reads only the end of a log: the last lines whole, a cut first line dropped", () => {
  const home = tempHome();
  const path = join(home.dir, "output.log");
  expect(lastLines(path, 20)).toEqual([]);
  writeFileSync(path, "one\ntwo\nthree\n");
  expect(lastLines(path, 2)).toEqual(["two", "three"]);
  expect(lastLines(path, 20)).toEqual(["one", "two", "three"]);
  writeFileSync(
    path,
    `${"y".repeat(100_000)}\n${Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n")}`,
  );
  expect(lastLines(path, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i + 10}`));
  writeFileSync(path, "z".repeat(100_000));
  expect(lastLines(path, 3)).toEqual([]);
  home.cleanup();
});

test("dash approvals show prints every part of a context", () => {
  process.env.NO_COLOR = "1";
  const text = describeContext(
    context({
      agent: { id: "AG", name: "agent-1", status: "paused", costUsd: 0.125 },
      swarm: { id: "SW", name: "web", status: "active", costUsd: 1.5 },
      log: ["compiling", "tests pass"],
      files: [
        { path: "src/a.ts", insertions: 3, deletions: 1 },
        { path: "notes.md", insertions: 0, deletions: 0, untracked: true },
      ],
      filesMore: 2,
    }),
  ).join("\n");
  expect(text).toContain("agent   agent-1 AG · paused · $0.1250");
  expect(text).toContain("swarm   web SW · active · $1.5000");
  expect(text).toContain("files    (+2 more)");
  expect(text).toContain("  +3 -1 src/a.ts");
  expect(text).toContain("  new notes.md");
  expect(text).toContain("log\n  compiling\n  tests pass");
  expect(describeContext(context({ files: [] })).join("\n")).toContain("files   none changed");
});
