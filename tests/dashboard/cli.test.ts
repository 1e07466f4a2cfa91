import { afterEach, beforeEach, expect, test } from "bun:test";
import { main } from "../../src/cli/index.ts";
import { EXIT, runCli } from "../../src/cli/run.ts";
import { captureConsole } from "../helpers.ts";

// The screen itself is driven through the compiled binary in tmux (tests/e2e/dashboard.test.ts);
// here, in-process, what happens before the screen is taken.
let err: string[] = [];
let spies: { mockRestore: () => void }[] = [];
const tty = { out: process.stdout.isTTY, in: process.stdin.isTTY };
beforeEach(() => {
  err = [];
  spies = captureConsole(
    () => [],
    () => err,
  );
});
afterEach(() => {
  for (const s of spies) s.mockRestore();
  process.stdout.isTTY = tty.out;
  process.stdin.isTTY = tty.in;
  process.exitCode = 0;
});

test("without a terminal it refuses and says what to use in scripts", async () => {
  process.stdout.isTTY = false;
  expect(await runCli(main, ["dashboard"], "test")).toBe(EXIT.usage);
  expect(err.join("")).toContain("dash events --follow");
});

test("with no server answering it says how to start one, or to try the demo", async () => {
  process.stdout.isTTY = true;
  process.stdin.isTTY = true;
  const port = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const url = `http://127.0.0.1:${port.port}`;
  await port.stop(true);
  expect(await runCli(main, ["dashboard", "--url", url], "test")).toBe(EXIT.unreachable);
  const said = err.join("");
  expect(said).toContain("dash serve");
  expect(said).toContain("dash demo");
});
