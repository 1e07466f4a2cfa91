/**
 * PRD §9.4 / story 4 with real processes: 50 agents of one swarm start, report usage and progress,
 * and complete at once. Watched on the real WebSocket event stream: no invalid transition, 50
 * unique ids, and the budget's spend equals the sum of the agents' costs exactly (integer micros).
 */
import { expect, test } from "bun:test";
import { type AgentResponse, AgentResponseSchema } from "../../src/domain/agent.ts";
import { type DashEvent, EventSchema } from "../../src/domain/event.ts";
import { agentMoves } from "../agent-moves.ts";
import { serverWithAgents } from "../agents-helpers.ts";
import { until } from "../helpers.ts";

const AGENTS = 50;
const { api, s } = await serverWithAgents({ maxConcurrency: AGENTS });

// Five steps of odd amounts, so a lost or doubled update shows in the sum.
const SCRIPT = [
  "i=1; while [ $i -le 5 ]; do",
  `echo '{"dash":"usage","promptTokens":'$((i*7))',"completionTokens":3,"costUsd":0.00'$i'37}'`,
  `echo '{"dash":"progress","current":'$i',"total":5}'; i=$((i+1)); done`,
  `echo '{"dash":"result","result":"ok"}'`,
].join("\n");

test(`${AGENTS} concurrent agents: no invalid transition on the event stream, unique ids, exact budget`, async () => {
  const events: DashEvent[] = [];
  const ws = new WebSocket(
    `${api.server.url.origin.replace("http", "ws")}/events?token=${api.keys.read}&filter=agent.*,swarm.*`,
  );
  ws.addEventListener("message", (m) => {
    const body = JSON.parse(String(m.data)) as Record<string, unknown>;
    if (!("op" in body)) events.push(EventSchema.parse(body));
  });
  await new Promise((resolve) => ws.addEventListener("open", resolve));

  const [status, created] = await api.json("POST", "/api/swarm", api.keys.admin, {
    name: "stress-test",
    task: "Simple computation",
    initialAgents: AGENTS,
    budget: { amount: 50 },
    config: { command: ["sh", "-c", SCRIPT] },
  });
  expect(status).toBe(201);
  const swarmId = (created as { id: string }).id;
  await until(() => events.some((e) => e.type === "swarm.completed" && e.source === swarmId), 60_000);
  ws.close();

  // Every status change seen on the stream is a move the state machine allows.
  const { history, violations } = agentMoves(events);
  expect(violations).toEqual([]);
  expect(history.size).toBe(AGENTS);

  const [, page] = await api.json("GET", `/api/agents?swarmId=${swarmId}&limit=100`, api.keys.read);
  const agents = (page as { agents: unknown[] }).agents.map((a) =>
    AgentResponseSchema.parse(a),
  ) as AgentResponse[];
  expect(new Set(agents.map((a) => a.id)).size).toBe(AGENTS);
  expect(agents.every((a) => a.status === "completed")).toBe(true);
  const [, budgets] = await api.json("GET", `/api/budget?swarmId=${swarmId}`, api.keys.read);
  const spent = (budgets as { budgets: Array<{ spent: number }> }).budgets[0]?.spent as number;
  const micros = (usd: number) => Math.round(usd * 1e6);
  const sum = agents.reduce((n, a) => n + micros(a.cost.amount), 0);
  expect(micros(spent) - sum).toBe(0);
  expect(sum).toBe(AGENTS * micros(0.001_37 + 0.002_37 + 0.003_37 + 0.004_37 + 0.005_37));
  const rows = await s.t.store.listAgents({ swarmId });
  expect((await s.t.store.getBudget("swarm", swarmId))?.spentUnits).toBe(
    rows.reduce((n, a) => n + a.costMicros, 0),
  );
}, 90_000);
