/**
 * DASH_AGENT_TOKEN: a real agent calls the real API with its own key. It may read, and spawn
 * children in its own swarm (the tree strategy); anything else is 403, and the key dies with the
 * attempt.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { serverWithAgents, sh } from "../agents-helpers.ts";

const { api, s } = await serverWithAgents();

/** The agent: a child (task "child") just ends; the root tries what its key allows and what not. */
const AGENT = `
const [task, otherSwarm] = process.argv.slice(1);
if (task === "child") process.exit(0);
const env = process.env;
const headers = { authorization: "Bearer " + env.DASH_AGENT_TOKEN, "content-type": "application/json" };
const call = (method, path, body) =>
  fetch(env.DASH_URL + path, { method, headers, body: body && JSON.stringify(body) });
const spawned = await call("POST", "/api/agents", { swarmId: env.DASH_SWARM_ID, task: "child" });
const child = await spawned.json();
const result = {
  spawn: spawned.status,
  childParent: child.parentId,
  otherSwarm: (await call("POST", "/api/agents", { swarmId: otherSwarm, task: "child" })).status,
  destroy: (await call("DELETE", "/api/swarm/" + env.DASH_SWARM_ID)).status,
  read: (await call("GET", "/api/agents/" + env.DASH_AGENT_ID)).status,
};
console.log(JSON.stringify({ dash: "result", result }));
`;

test("an agent's own key reads and spawns its children in its swarm, and nothing else", async () => {
  const other = await s.swarm(["true"]);
  const { swarm, agents } = await s.swarm([process.execPath, "-e", AGENT, "{task}", other.swarm.id]);
  const root = await s.waitFor(agents[0]?.id as string);
  expect(root.status).toBe("completed");
  expect(root.result).toEqual({ spawn: 201, childParent: root.id, otherSwarm: 403, destroy: 403, read: 200 });
  const children = (await s.t.store.listAgents({ swarmId: swarm.id })).filter((a) => a.parentId === root.id);
  expect(children).toHaveLength(1);
  expect((await s.waitFor(children[0]?.id as string)).status).toBe("completed");
  const keys = (await s.t.store.listApiKeys()).filter((k) => k.name === `agent ${root.id}`);
  expect(keys.map((k) => [k.isActive, k.scope])).toEqual([[false, { swarmId: swarm.id, agentId: root.id }]]);
});

test("an ended agent's key is still taken for its own usage reports (money spent is never lost), and for nothing else", async () => {
  // The agent leaves its token where the test can play a report that arrives after its end.
  const { swarm, agents } = await s.swarm(sh('printf %s "$DASH_AGENT_TOKEN" > token'));
  const agent = await s.waitFor(agents[0]?.id as string);
  const token = readFileSync(join(s.t.dir, "workspaces", swarm.id, agent.id, "token"), "utf8");
  const keys = (await s.t.store.listApiKeys()).filter((k) => k.name === `agent ${agent.id}`);
  expect(keys.map((k) => k.isActive)).toEqual([false]);
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${api.server.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const usage = { promptTokens: 10, completionTokens: 5, costUsd: 0.25 };
  const late = await call("POST", `/api/agents/${agent.id}/usage`, usage);
  expect(late.status).toBe(200);
  expect((await s.t.store.getAgent(agent.id))?.costMicros).toBe(agent.costMicros + 250_000);
  expect((await s.t.store.getBudget("swarm", swarm.id))?.spentUnits).toBe(agent.costMicros + 250_000);
  const other = await s.swarm(["true"]);
  expect((await call("POST", `/api/agents/${other.agents[0]?.id}/usage`, usage)).status).toBe(403);
  expect((await call("GET", `/api/agents/${agent.id}`)).status).toBe(401);
  expect((await call("POST", `/api/agents/${agent.id}/progress`, { current: 1, total: 2 })).status).toBe(401);
  expect((await call("POST", "/api/agents", { swarmId: swarm.id, task: "child" })).status).toBe(401);
  // An operator's revoked key stays refused everywhere, usage included.
  const revoked = await api.call("POST", `/api/agents/${agent.id}/usage`, api.keys.revoked, usage);
  expect(revoked.status).toBe(401);
});
