/**
 * The parts bench/gateway.ts measures between, each in its own process: the fake provider
 * (tests/fake-metered-provider.ts) and a real `dash serve` whose gateway forwards to it, with one
 * running agent whose token the bench calls the gateway with (read from its launch spec, as the
 * agent itself gets it), in a DASH_HOME the caller removes.
 */
import { Database } from "bun:sqlite";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startDash } from "./dash-server.ts";

const MAIN = join(import.meta.dir, "..", "src", "main.ts");
const PROVIDER = `import { startMeteredProvider } from ${JSON.stringify(join(import.meta.dir, "..", "tests", "fake-metered-provider.ts"))};
console.log(startMeteredProvider().url);`;
/** The provider key only `dash serve` holds (the fake provider does not check it). */
export const OPERATOR = "sk-bench-operator";

/** The provider in its own process; resolves with its URL. */
export async function startProvider() {
  const proc = Bun.spawn([process.execPath, "-e", PROVIDER], { stdout: "pipe", stderr: "inherit" });
  const { value } = await proc.stdout.getReader().read();
  const url = new TextDecoder().decode(value).trim();
  if (!url.startsWith("http")) throw new Error("the fake provider did not print its URL");
  return { proc, url };
}

/** A server whose gateway forwards to `provider`, and the token of its one running agent. */
export async function startGateway(home: string, provider: string) {
  const config = {
    log: { level: "info" }, // the "dash serving" line tells startDash the URL; gateway calls log nothing
    limits: { rateLimitPerMinute: 100_000_000, swarmCreatesPerMinute: 100_000_000 },
    providers: {
      anthropic: { api: "anthropic", baseUrl: provider, apiKeyEnv: "DASH_BENCH_PROVIDER_KEY" },
      openai: { api: "openai", baseUrl: `${provider}/v1`, apiKeyEnv: "DASH_BENCH_PROVIDER_KEY" },
    },
  };
  writeFileSync(join(home, "config.yaml"), JSON.stringify(config));
  const env = { DASH_BENCH_PROVIDER_KEY: OPERATOR, NODE_ENV: process.env.NODE_ENV ?? "" };
  const dash = startDash([process.execPath, MAIN], home, env);
  const url = await dash.ready;
  let swarmId = "";
  // The agent's shim outlives the server by design: destroy its swarm before stopping the server.
  const stop = async () => {
    if (url && swarmId) await fetch(`${url}/api/swarm/${swarmId}`, { method: "DELETE", headers });
    dash.proc.kill("SIGTERM");
    await dash.proc.exited;
  };
  const { key } = JSON.parse(readFileSync(join(home, "credentials"), "utf8")) as { key: string };
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  try {
    if (!url) throw new Error("dash serve exited before serving");
    // An agent that only sleeps: running, so its token is valid for the gateway until it is destroyed.
    const created = await fetch(`${url}/api/swarm`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        name: "gateway-bench",
        task: "hold a token",
        initialAgents: 1,
        budget: { amount: 1_000 },
        config: { command: ["sleep", "3600"], maxRetries: 0, timeout: 3_600_000 },
      }),
    });
    swarmId = ((await created.json()) as { id: string }).id;
    const token = await agentToken(home, swarmId);
    return { url, token, pid: dash.proc.pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The token of the swarm's agent once it runs, from its launch spec (what its environment holds). */
async function agentToken(home: string, swarmId: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    await Bun.sleep(50);
    const db = new Database(join(home, "dash.db"), { readonly: true });
    const row = db.query("SELECT id, status FROM agents WHERE swarm_id = ?").get(swarmId) as {
      id: string;
      status: string;
    } | null;
    db.close();
    if (row?.status !== "running") continue;
    const spec = JSON.parse(readFileSync(join(home, "runs", row.id, "spec-0.json"), "utf8"));
    const token = (spec as { env: Record<string, string> }).env.DASH_AGENT_TOKEN;
    if (token) return token;
  }
  throw new Error("the bench agent did not start");
}

/** Calls the gateway recorded, by status: every measured call must be there, settled. */
export function callsByStatus(home: string): string {
  const db = new Database(join(home, "dash.db"), { readonly: true });
  const rows = db.query("SELECT status, COUNT(*) AS n FROM model_calls GROUP BY status").all() as {
    status: string;
    n: number;
  }[];
  db.close();
  return rows.map((r) => `${r.n} ${r.status}`).join(", ");
}
