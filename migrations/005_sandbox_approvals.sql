-- The file sandbox and approval gates (issue 9).
-- migrate:up
-- How the agent's current attempt is confined: 'bwrap', 'sandbox-exec', or 'off' (fileSandbox: false).
ALTER TABLE agents ADD COLUMN sandbox TEXT CHECK (sandbox IS NULL OR sandbox IN ('bwrap', 'sandbox-exec', 'off'));
-- A question for a person: raised by an agent (its token) or a budget action; the agent waits
-- paused (held_by 'approval') until someone answers or it times out, which counts as denied.
CREATE TABLE approvals (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('agent', 'budget')),
  swarm_id TEXT REFERENCES swarms(id) ON DELETE CASCADE,
  agent_id TEXT REFERENCES agents(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
  -- Why it was answered so (a person's words, or 'timed out').
  reason TEXT,
  -- The key that answered it, or 'timeout'.
  resolved_by TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  resolved_at INTEGER,
  version INTEGER NOT NULL DEFAULT 1 CHECK (version > 0),
  CHECK ((status = 'pending') = (resolved_at IS NULL))
) STRICT;
CREATE INDEX idx_approvals_pending ON approvals (expires_at) WHERE status = 'pending';
CREATE INDEX idx_approvals_agent ON approvals (agent_id) WHERE agent_id IS NOT NULL;
CREATE INDEX idx_approvals_swarm ON approvals (swarm_id, created_at);

-- migrate:down
DROP INDEX idx_approvals_swarm;
DROP INDEX idx_approvals_agent;
DROP INDEX idx_approvals_pending;
DROP TABLE approvals;
ALTER TABLE agents DROP COLUMN sandbox;
