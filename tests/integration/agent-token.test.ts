/**
 * DASH_AGENT_TOKEN: a real agent calls the real API with its own key. It may read, and spawn
 * children in its own swarm (the tree strategy); anything else is 403, and the key dies with the
 * attempt.
 */
import { expect, test } from "bun:test";
import { serverWithAgents } from "../agents-helpers.ts";

const { s } = await serverWithAgents();

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
