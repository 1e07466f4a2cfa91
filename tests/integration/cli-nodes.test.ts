import { afterAll, expect, test } from "bun:test";
import { newId } from "../../src/domain/ids.ts";
import { HealthSchema, NodeListSchema } from "../../src/domain/wire.ts";
import { testServer } from "../api-helpers.ts";
import { inProcessCli } from "../cli-helpers.ts";

/** `dash nodes`, GET /api/nodes and /health's node (issue 26), over a real server and store. */

const SELF = newId();
const api = await testServer({}, { nodeId: SELF });
const cli = inProcessCli(api.server.url.origin, api.keys.admin);
afterAll(() => api.close());

test("the nodes with their heartbeat age and live agents; this one marked; /health names it", async () => {
  const now = Date.now();
  await api.t.store.heartbeatNode({
    id: SELF,
    name: "here",
    url: "http://10.0.0.1:7373",
    version: "1.0",
    startedAt: now,
    heartbeatAt: now,
  });
  const gone = newId();
  await api.t.store.heartbeatNode({
    id: gone,
    name: "there",
    url: null,
    version: "1.0",
    startedAt: 0,
    heartbeatAt: now - 120_000,
  });
  const { nodes } = NodeListSchema.parse(await cli.dashJson(["nodes"]));
  expect(nodes.map((n) => [n.id, n.self, n.liveAgents])).toEqual([
    [SELF, true, 0],
    [gone, false, 0],
  ]);
  expect(nodes[1]?.heartbeatAgeMs).toBeGreaterThanOrEqual(120_000);
  const [code, table] = await cli.dash(["nodes"]);
  expect(code).toBe(0);
  expect(table).toContain("← this one");
  expect(table).toMatch(/there\s+-\s+1\.0\s+2m/);
  const health = HealthSchema.parse(await (await fetch(new URL("/health", api.server.url))).json());
  expect(health.node).toBe(SELF);
});
