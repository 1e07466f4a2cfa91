import { type Pg, rows, run } from "./postgres-db.ts";
import { nodeFromRow } from "./sqlite-nodes.ts";
import type { NodeRecord, NodeState } from "./store.ts";

/** The heartbeat row of a node (see sqlite-nodes.ts): one upsert, no transaction needed. */
export async function heartbeatNodeRow(pg: Pg, node: NodeRecord): Promise<void> {
  await run(
    pg,
    `INSERT INTO nodes (id, name, url, version, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, url = EXCLUDED.url, version = EXCLUDED.version,
       started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at`,
    [node.id, node.name, node.url, node.version, node.startedAt, node.heartbeatAt],
  );
}

export async function nodeRows(pg: Pg): Promise<NodeState[]> {
  const found = await rows(
    pg,
    `SELECT n.*, (SELECT COUNT(*) FROM agents a WHERE a.node_id = n.id
                 AND a.status IN ('spawning', 'running', 'paused')) AS live_agents
     FROM nodes n ORDER BY n.heartbeat_at DESC, n.id`,
  );
  return found.map(nodeFromRow);
}
