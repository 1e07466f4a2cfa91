import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { AgentResponse } from "../../src/domain/agent.ts";
import { testServer } from "../api-helpers.ts";
import { inProcessCli } from "../cli-helpers.ts";

/**
 * Failures explain themselves (issue 25): `dash agent show`, `agent list`, `swarm show` and
 * `agent logs` of a failed agent say why, over a real server. The agents are moved through the
 * real state machine with the errors the supervisor records: one that could not start, one whose
 * program exited with a code and last lines.
 */

let api: Awaited<ReturnType<typeof testServer>>;
let cli: ReturnType<typeof inProcessCli>;
let swarmId = "";
let neverStarted: AgentResponse;
let exited: AgentResponse;

const START_ERROR = {
  message:
    'claude: command not found (runtime "claude-code"); install it or pick another runtime: demo, openai',
  reason: "start",
};
const EXIT_ERROR = {
  message: "the agent exited with code 3",
  reason: "exit",
  exitCode: 3,
  signal: null,
  lastLines: ["reading the task", "Error: no API key (set ANTHROPIC_API_KEY)"],
  willRetry: false,
};

api = await testServer();
cli = inProcessCli(api.server.url.origin, api.keys.admin);

beforeAll(async () => {
  const [, swarm] = await api.json<{ id: string }>("POST", "/api/swarm", api.keys.admin, {
    name: "hello",
    task: "Say hello",
    initialAgents: 3,
    config: { command: ["true"], maxRetries: 0 },
  });
  swarmId = swarm.id;
  const agents = await api.t.store.listAgents({ swarmId });
  const [first, second] = agents;
  if (!first || !second) throw new Error("no agents");
  const { lifecycle } = api.t;
  await lifecycle.startAgent(first.id, { to: "spawning" });
  await lifecycle.moveAgent(first.id, { to: "failed", error: START_ERROR });
  await lifecycle.startAgent(second.id, { to: "spawning" });
  await lifecycle.moveAgent(second.id, {
    to: "running",
    run: { pid: 4242, exitCode: null, sandbox: "bwrap" },
  });
  await lifecycle.moveAgent(second.id, { to: "failed", error: EXIT_ERROR, run: { pid: null, exitCode: 3 } });
  const read = async (id: string) =>
    (await api.json<AgentResponse>("GET", `/api/agents/${id}`, api.keys.read))[1];
  neverStarted = await read(first.id);
  exited = await read(second.id);
});

afterAll(() => api.close());

/** What a snapshot may hold: no ids or ages that change from run to run. */
const stable = (text: string) =>
  text
    .replaceAll(swarmId, "<swarm>")
    .replaceAll(exited.id, "<agent>")
    .replace(/created \S+ ago/g, "created <age> ago")
    .replace(/finished \S+ ago/g, "finished <age> ago");

describe("a failed agent says why", () => {
  test("dash agent show: the message, its reason, the exit code and the last lines of output", async () => {
    const [code, out] = await cli.dash(["agent", "show", exited.id]);
    expect(code).toBe(0);
    expect(stable(out).replace(/^\S+ <agent>/m, "<name> <agent>")).toMatchSnapshot();
    expect(out).toContain("error:    the agent exited with code 3");
    expect(out).toContain("reason: exit    exit code: 3");
    expect(out).toContain("  Error: no API key (set ANTHROPIC_API_KEY)");
  });

  test("an agent that never started: the reason it could not", async () => {
    const [, out] = await cli.dash(["agent", "show", neverStarted.id]);
    expect(out).toContain("error:    claude: command not found");
    expect(out).toContain("reason: start");
  });

  test("dash agent list and dash swarm show: a REASON column with a short reason per failed agent", async () => {
    for (const args of [
      ["agent", "list", "--swarm", swarmId],
      ["swarm", "show", swarmId],
    ]) {
      const [, out] = await cli.dash(args);
      expect(out).toContain("REASON");
      const row = (id: string) => out.split("\n").find((line) => line.startsWith(id)) ?? "";
      expect(row(exited.id)).toContain("exit 3: the agent exited with code 3");
      expect(row(neverStarted.id)).toContain("claude: command not found");
    }
  });

  test("a table of agents with no error has no REASON column", async () => {
    const [, out] = await cli.dash(["agent", "list", "--status", "idle"]);
    expect(out).not.toContain("REASON");
  });

  test("dash agent logs of an agent that never started says so and why; an idle one that it has not started", async () => {
    cli.clearStderr();
    const [code, out] = await cli.dash(["agent", "logs", neverStarted.id]);
    expect(code).toBe(0);
    expect(out).toBe("");
    expect(cli.stderr()).toContain(`agent ${neverStarted.name} never started: claude: command not found`);
    cli.clearStderr();
    await cli.dash(["agent", "logs", exited.id]);
    expect(cli.stderr()).toContain("printed nothing; it ended with: the agent exited with code 3");
    const idle = (await api.t.store.listAgents({ swarmId })).find((a) => a.status === "idle");
    cli.clearStderr();
    await cli.dash(["agent", "logs", idle?.id ?? ""]);
    expect(cli.stderr()).toContain("has not started (idle)");
  });
});
