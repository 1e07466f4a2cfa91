import { afterAll, afterEach, beforeEach, expect } from "bun:test";
import { main } from "../src/cli/index.ts";
import { EXIT, runCli } from "../src/cli/run.ts";
import { captureConsole, tempHome } from "./helpers.ts";

/**
 * The `dash` client nouns run in this process (so coverage sees them) against a real server on a
 * loopback port: a fresh DASH_HOME, no colour, what they print captured. Registers the file's hooks.
 */
export function inProcessCli(url: string, adminKey: string) {
  const home = tempHome();
  let out: string[] = [];
  let err: string[] = [];
  const spies: { mockRestore: () => void }[] = [];
  const saved = { home: process.env.DASH_HOME, url: process.env.DASH_URL, key: process.env.DASH_API_KEY };
  beforeEach(() => {
    process.env.DASH_HOME = home.dir;
    process.env.NO_COLOR = "1";
    delete process.env.DASH_URL;
    delete process.env.DASH_API_KEY;
    out = [];
    err = [];
    spies.push(
      ...captureConsole(
        () => out,
        () => err,
      ),
    );
  });
  afterEach(() => {
    for (const s of spies.splice(0)) s.mockRestore();
    process.exitCode = 0;
  });
  afterAll(() => {
    Object.assign(process.env, { DASH_HOME: saved.home, DASH_URL: saved.url, DASH_API_KEY: saved.key });
    home.cleanup();
  });

  /** Runs `dash <args> --url <server> --key <admin>` and returns [exit code, stdout]. */
  async function dash(args: string[], key = adminKey): Promise<[number, string]> {
    out = [];
    process.exitCode = 0; // each command as a fresh process would start
    const code = await runCli(main, [...args, "--url", url, "--key", key], "test");
    return [code, out.join("\n")];
  }

  async function dashJson<T>(args: string[]): Promise<T> {
    const [code, text] = await dash([...args, "--json"]);
    expect(code).toBe(EXIT.ok);
    return JSON.parse(text) as T;
  }

  const clearStderr = () => {
    err = [];
  };
  return { home, dash, dashJson, stderr: () => err.join(""), clearStderr };
}
