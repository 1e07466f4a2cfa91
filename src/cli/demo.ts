import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { defineCommand } from "citty";
import { startApp } from "../api/app.ts";
import { DashClient } from "../client/client.ts";
import { resolveConnection } from "../client/connection.ts";
import { loadConfig } from "../config.ts";
import { DashError } from "../domain/errors.ts";
import { createLogger } from "../log.ts";
import { builtInPresets } from "../runtimes/presets.ts";
import { clientArgs, numberArg, status as paint, UsageError } from "./common.ts";
import { followSwarm } from "./follow-swarm.ts";
import { EXIT } from "./run.ts";
import { bold, dim, red, yellow } from "./style.ts";

const DEFAULTS = { agents: 8, seconds: 20 };

/** `seconds` (default 20) is taken only by a server started here: presets are server-side. */
export type DemoOptions = {
  agents: number;
  seconds?: number;
  url?: string;
  key?: string;
  home?: string;
  json?: boolean;
};

/** The server that answers; if none does (and no --url/DASH_URL named one), one started here. */
async function findServer(
  options: DemoOptions,
): Promise<{ client: DashClient; inProcess: boolean; close(): Promise<void> }> {
  const client = new DashClient(resolveConnection(options));
  try {
    await client.health();
    return { client, inProcess: false, close: async () => {} };
  } catch (error) {
    const named = options.url || process.env.DASH_URL;
    if (!(error instanceof DashError) || error.code !== "UNREACHABLE" || named) throw error;
  }
  const home = options.home ? resolve(options.home) : mkdtempSync(join(tmpdir(), "dash-demo-"));
  const remove = () => !options.home && rmSync(home, { recursive: true, force: true });
  try {
    const env = { ...process.env, DASH_HOME: home, DASH_PORT: undefined, DASH_DB_PATH: undefined };
    const config = loadConfig(env);
    const seconds = options.seconds ?? DEFAULTS.seconds;
    const demo = { kind: "demo" as const, ...builtInPresets().demo, ...config.runtimes.demo, seconds };
    config.runtimes = { ...config.runtimes, demo };
    const app = await startApp(config, { port: 0, host: "127.0.0.1" }, createLogger("warn"));
    const key = app.adminKey ?? resolveConnection({}, { DASH_HOME: home }).key;
    return {
      client: new DashClient({ url: app.url.origin, key, keySource: `${home}/credentials` }),
      inProcess: true,
      close: async () => {
        await app.stop();
        remove();
      },
    };
  } catch (error) {
    remove();
    throw error;
  }
}

/** `dash demo`: a swarm of demo agents (made-up work, no model) followed live to its end. */
export async function runDemo(options: DemoOptions, signal: AbortSignal): Promise<DemoSummary> {
  const say = (line: string) => options.json || console.log(line);
  const server = await findServer(options);
  try {
    const { client } = server;
    say(yellow(bold("DEMO LOAD: made-up work, no model is called; the costs shown are simulated.")));
    const where = server.inProcess ? "a temporary in-process server, stopped at the end" : "your server";
    say(dim(`Server: ${client.connection.url} (${where})`));
    if (!server.inProcess && options.seconds !== undefined) {
      say(dim("--seconds applies to an in-process server only; this server's demo preset sets the time"));
    }
    const swarm = await client.createSwarm({
      name: `demo-${crypto.randomUUID().slice(0, 6)}`,
      task: "Demo load: made-up work, no model is called",
      initialAgents: options.agents,
      config: { runtime: "demo" },
    });
    say(`Swarm ${bold(swarm.name)} ${dim(swarm.id)}: ${options.agents} demo agents`);
    await followSwarm(client, swarm, await client.allAgents({ swarmId: swarm.id }), say, signal);
    if (signal.aborted) await client.destroySwarm(swarm.id);
    const summary = await summarize(client, swarm.id, server.inProcess, signal.aborted);
    console.log(options.json ? JSON.stringify(summary, null, 2) : humanSummary(summary));
    return summary;
  } finally {
    await server.close();
  }
}

/** What the demo did, from the server's own numbers (the cost is simulated: no model was called). */
async function summarize(client: DashClient, swarmId: string, inProcess: boolean, interrupted: boolean) {
  const agents = await client.allAgents({ swarmId });
  const count = (s: string) => agents.filter((a) => a.status === s).length;
  const { id, name, status } = await client.getSwarm(swarmId);
  return {
    demo: true as const,
    swarm: { id, name, status },
    server: { url: client.connection.url, inProcess },
    agents: {
      total: agents.length,
      completed: count("completed"),
      failed: count("failed"),
      killed: count("killed"),
    },
    cost: {
      usd: agents.reduce((sum, a) => sum + a.cost.amount, 0),
      tokens: agents.reduce((sum, a) => sum + a.cost.totalTokens, 0),
    },
    interrupted,
  };
}
export type DemoSummary = Awaited<ReturnType<typeof summarize>>;

function humanSummary(s: DemoSummary): string {
  const { total, completed } = s.agents;
  const lines = [
    s.interrupted ? yellow("Demo interrupted: the demo swarm was destroyed.") : bold("Demo finished."),
    `  agents:  ${completed}/${total} completed${s.agents.failed ? red(`, ${s.agents.failed} failed`) : ""}`,
    `  cost:    $${s.cost.usd.toFixed(4)} for ${s.cost.tokens.toLocaleString("en-US")} tokens ${yellow("(demo: simulated)")}`,
    `  swarm:   ${s.swarm.name} ${dim(s.swarm.id)} ${paint(s.swarm.status)}`,
  ];
  if (!s.server.inProcess)
    lines.push(dim(`Next: dash swarm show ${s.swarm.id}   dash events --type agent.*`));
  return lines.join("\n");
}

export default defineCommand({
  meta: {
    name: "demo",
    description:
      "See Dash live: a swarm of demo agents followed to the end (DEMO LOAD: made-up work, no model is called; a temporary server if none answers)",
  },
  args: {
    agents: { type: "string", description: `Number of demo agents (1-100, default ${DEFAULTS.agents})` },
    seconds: {
      type: "string",
      description: `Each agent's run time (default ${DEFAULTS.seconds}, own server)`,
    },
    home: { type: "string", description: "Data directory of a server started here (default: a temp dir)" },
    ...clientArgs,
  },
  async run({ args }) {
    if (Number(args.seconds) > 3600) throw new UsageError("--seconds must be at most 3600");
    const options: DemoOptions = {
      ...args,
      agents: numberArg("--agents", args.agents, { integer: true, min: 1 }) ?? DEFAULTS.agents,
      seconds: numberArg("--seconds", args.seconds, { min: 0.1 }),
    };
    const stop = new AbortController();
    const abort = () => stop.abort();
    process.once("SIGINT", abort);
    process.once("SIGTERM", abort);
    try {
      const summary = await runDemo(options, stop.signal);
      if (summary.interrupted) process.exitCode = 130;
      else if (summary.agents.completed < summary.agents.total) process.exitCode = EXIT.failure;
    } finally {
      process.off("SIGINT", abort);
      process.off("SIGTERM", abort);
    }
  },
});
