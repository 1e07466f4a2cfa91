import type { Database } from "bun:sqlite";
import type { NodeRecord, NodeState } from "./store.ts";

/** The heartbeat row of a node: made on its first beat, refreshed on the others. */
export function heartbeatNodeRow(db: Database, node: NodeRecord): void {
  db.query(
    `INSERT INTO nodes (id, name, url, version, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, url = excluded.url, version = excluded.version,
       started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
  ).run(node.id, node.name, node.url, node.version, node.startedAt, node.heartbeatAt);
}

/** Nodes with the count of live agents each runs, the freshest heartbeat first. */
export function nodeRows(db: Database): NodeState[] {
  return db
    .query<Record<string, string | number | null>, []>(
      `SELECT n.*, (SELECT COUNT(*) FROM agents a WHERE a.node_id = n.id
                   AND a.status IN ('spawning', 'running', 'paused')) AS live_agents
       FROM nodes n ORDER BY n.heartbeat_at DESC, n.id`,
    )
    .all()
    .map(nodeFromRow);
}

export function nodeFromRow(r: Record<string, unknown>): NodeState {
  return {
    id: String(r.id),
    name: String(r.name),
    url: r.url === null || r.url === undefined ? null : String(r.url),
    version: String(r.version),
    startedAt: Number(r.started_at),
    heartbeatAt: Number(r.heartbeat_at),
    liveAgents: Number(r.live_agents ?? 0),
  };
}
