import { join } from "node:path";
import { buildBinary, hostTarget } from "../../build.ts";
import { tempHome } from "../helpers.ts";

// One compiled binary per test run, built from this tree, shared by every e2e file; made on first
// use and removed by tests/preload.ts after the run (`process.on("exit")` never fires under bun test,
// which left a 120 MB binary in /tmp per run).
let work: ReturnType<typeof tempHome> | undefined;
let built: Promise<string> | undefined;

export function compiledDash(): Promise<string> {
  work ??= tempHome("dash-bin-");
  const bin = join(work.dir, "dash");
  built ??= buildBinary(hostTarget(), bin).then(() => bin);
  return built;
}

/** Removes the binary (the next compiledDash() builds it again). */
export async function removeCompiled(): Promise<void> {
  await built?.catch(() => undefined);
  work?.cleanup();
  work = undefined;
  built = undefined;
}

export interface Served {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  url: string;
  /** Everything the server logged so far (stderr is drained continuously so it never blocks). */
  log: () => string;
  /** Resolves when stderr closes. */
  drained: Promise<void>;
}

/** Starts `<bin> serve --port 0 …args` with DASH_HOME=home and waits for the URL it logs. */
export async function startServe(
  bin: string,
  home: string,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<Served> {
  const proc = Bun.spawn([bin, "serve", "--port", "0", ...args], {
    cwd: home,
    env: { PATH: process.env.PATH ?? "", DASH_HOME: home, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let log = "";
  let ready: (url: string) => void = () => {};
  let failed: (error: Error) => void = () => {};
  const url = new Promise<string>((resolve, reject) => {
    ready = resolve;
    failed = reject;
  });
  const drained = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) {
      log += decoder.decode(chunk);
      const line = log.split("\n").find((l) => l.includes('"dash serving"'));
      if (line) ready(JSON.parse(line).url as string);
    }
    failed(new Error(`dash serve exited before serving: ${log}`));
  })();
  return { proc, url: await url, log: () => log, drained };
}

/** Runs the compiled CLI with DASH_HOME=home, no colour and only PATH from this environment. */
export function runDash(bin: string, home: string, args: string[], env: Record<string, string> = {}) {
  const run = Bun.spawnSync([bin, ...args], {
    env: { PATH: process.env.PATH ?? "", DASH_HOME: home, NO_COLOR: "1", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: run.exitCode, out: run.stdout.toString(), err: run.stderr.toString() };
}

/** `api(method, path, body)`: JSON to and from a served binary with a key, throwing on a non-2xx. */
export function apiCaller(url: () => string | undefined, key: () => string) {
  return async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers = { authorization: `Bearer ${key()}`, "content-type": "application/json" };
    const res = await fetch(new URL(path, url()), { method, headers, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
}
