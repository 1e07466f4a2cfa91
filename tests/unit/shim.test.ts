import { afterAll, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { processStartTime, startShim, startTimeFromPs } from "../../src/runtimes/process.ts";
import { readExitStatus, readShimIdentity, runFiles, writeJsonAtomic } from "../../src/runtimes/run-files.ts";
import { runShim } from "../../src/runtimes/shim.ts";
import { tempHome } from "../helpers.ts";

const home = tempHome();
afterAll(() => home.cleanup());

async function shim(argv: string[], attempt: number) {
  const files = runFiles(home.dir, "agent-1", attempt);
  mkdirSync(files.dir, { recursive: true });
  writeJsonAtomic(files.spec, { argv, cwd: home.dir, env: { PATH: process.env.PATH ?? "" }, ...files });
  expect(await runShim(files.spec)).toBe(0);
  return files;
}

test("the shim records itself, appends the agent's stdout and stderr to the log, and its exit", async () => {
  const first = await shim(["sh", "-c", "echo out; echo err >&2; exit 3"], 0);
  expect(readShimIdentity(first.shim)).toEqual({
    pid: process.pid,
    startTime: processStartTime(process.pid) ?? "",
  });
  expect(readExitStatus(first.exit)).toMatchObject({ code: 3, signal: null });
  // A retry appends to the same log: offsets stay valid across attempts.
  const second = await shim(["sh", "-c", "echo again"], 1);
  expect(second.log).toBe(first.log);
  expect(readFileSync(first.log, "utf8")).toBe("out\nerr\nagain\n");
  expect(readExitStatus(second.exit)).toMatchObject({ code: 0 });
});

test("a program that cannot start is exit 127 with the reason", async () => {
  const files = await shim(["/nonexistent/program"], 2);
  const exit = readExitStatus(files.exit);
  expect(exit?.code).toBe(127);
  expect(exit?.error).toContain("cannot start /nonexistent/program");
});

test("the server records a shim the moment it starts it, before the shim has run at all", async () => {
  // A spec that is not there: the shim fails on its first line, before it could record itself.
  // What is in the identity file is then the server's own record (a server killed right after the
  // spawn leaves a restarted one this record, so it re-attaches instead of launching again).
  const files = runFiles(home.dir, "agent-2", 0);
  mkdirSync(files.dir, { recursive: true });
  const { child, pid, startTime } = startShim(`${files.dir}/no-such-spec.json`, files.shim);
  expect(readShimIdentity(files.shim)).toEqual({ pid, startTime });
  expect(pid).toBe(child.pid);
  expect(startTime).not.toBe("");
  await child.exited;
  expect(child.exitCode).not.toBe(0);
  expect(readShimIdentity(files.shim)).toEqual({ pid, startTime });
});

test("a torn or missing status file reads as null, never a crash", () => {
  expect(readExitStatus(`${home.dir}/missing.json`)).toBeNull();
});

test("the group's SIGTERM is for the agent: the shim stays to record how it ended", async () => {
  // The agent's parent is the shim (here, this test process): it signals it as a group kill would.
  const files = await shim(["sh", "-c", "kill -TERM $PPID; sleep 0.1; exit 143"], 3);
  expect(readExitStatus(files.exit)).toMatchObject({ code: 143 });
});

test.if(Bun.which("ps") !== null)(
  "without /proc, a start time comes from ps and tells processes apart",
  () => {
    const mine = startTimeFromPs(process.pid);
    expect(mine).toMatch(/\d{2}:\d{2}:\d{2}/);
    expect(startTimeFromPs(2 ** 22 + 1)).toBeNull();
  },
);
