-- Several `dash serve` nodes on one database (issue 26): each node has a row it refreshes as its
-- heartbeat, and each live agent names the node that runs its process. A node whose heartbeat is
-- older than the lease has lost its agents: another node takes them over (core/node-watch.ts).
-- On one SQLite file there is one node; the columns cost nothing there.
-- migrate:up
CREATE TABLE nodes (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  url TEXT,
  version TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL
);
ALTER TABLE agents ADD COLUMN node_id TEXT;
CREATE INDEX idx_agents_node ON agents (node_id) WHERE node_id IS NOT NULL;

-- migrate:down
DROP INDEX idx_agents_node;
ALTER TABLE agents DROP COLUMN node_id;
DROP TABLE nodes;
