-- Git merge-back (issue 12): a merge that stops on a conflict asks a person which side to keep,
-- as an approval of kind 'merge'. SQLite cannot change a CHECK, so the table is rebuilt as it was
-- with the one kind more (nothing references approvals; its rows are copied as they are).
-- migrate:up
CREATE TABLE approvals_new (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('agent', 'budget', 'merge')),
  swarm_id TEXT REFERENCES swarms(id) ON DELETE CASCADE,
  agent_id TEXT REFERENCES agents(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
  reason TEXT,
  resolved_by TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  resolved_at INTEGER,
  version INTEGER NOT NULL DEFAULT 1 CHECK (version > 0),
  CHECK ((status = 'pending') = (resolved_at IS NULL))
) STRICT;
INSERT INTO approvals_new SELECT * FROM approvals;
DROP TABLE approvals;
ALTER TABLE approvals_new RENAME TO approvals;
CREATE INDEX idx_approvals_pending ON approvals (expires_at) WHERE status = 'pending';
CREATE INDEX idx_approvals_agent ON approvals (agent_id) WHERE agent_id IS NOT NULL;
CREATE INDEX idx_approvals_swarm ON approvals (swarm_id, created_at);

-- migrate:down
DELETE FROM approvals WHERE kind = 'merge';
CREATE TABLE approvals_old (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('agent', 'budget')),
  swarm_id TEXT REFERENCES swarms(id) ON DELETE CASCADE,
  agent_id TEXT REFERENCES agents(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
  reason TEXT,
  resolved_by TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  resolved_at INTEGER,
  version INTEGER NOT NULL DEFAULT 1 CHECK (version > 0),
  CHECK ((status = 'pending') = (resolved_at IS NULL))
) STRICT;
INSERT INTO approvals_old SELECT * FROM approvals;
DROP TABLE approvals;
ALTER TABLE approvals_old RENAME TO approvals;
CREATE INDEX idx_approvals_pending ON approvals (expires_at) WHERE status = 'pending';
CREATE INDEX idx_approvals_agent ON approvals (agent_id) WHERE agent_id IS NOT NULL;
CREATE INDEX idx_approvals_swarm ON approvals (swarm_id, created_at);
