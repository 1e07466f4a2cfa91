-- PostgreSQL dialect of ../005_sandbox_approvals.sql: the file sandbox and approval gates.
-- migrate:up
ALTER TABLE agents ADD COLUMN sandbox TEXT CHECK (sandbox IS NULL OR sandbox IN ('bwrap', 'sandbox-exec', 'off'));
CREATE TABLE approvals (
  id TEXT COLLATE "C" PRIMARY KEY,
  -- Named, so that 006 can widen it (PostgreSQL changes a CHECK in place; SQLite rebuilds).
  kind TEXT NOT NULL CONSTRAINT approvals_kind_check CHECK (kind IN ('agent', 'budget')),
  swarm_id TEXT REFERENCES swarms(id) ON DELETE CASCADE,
  agent_id TEXT REFERENCES agents(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}' CHECK (details::json IS NOT NULL),
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
  reason TEXT,
  resolved_by TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  resolved_at BIGINT,
  version BIGINT NOT NULL DEFAULT 1 CHECK (version > 0),
  CHECK ((status = 'pending') = (resolved_at IS NULL))
);
CREATE INDEX idx_approvals_pending ON approvals (expires_at) WHERE status = 'pending';
CREATE INDEX idx_approvals_agent ON approvals (agent_id) WHERE agent_id IS NOT NULL;
CREATE INDEX idx_approvals_swarm ON approvals (swarm_id, created_at);

-- migrate:down
DROP INDEX idx_approvals_swarm;
DROP INDEX idx_approvals_agent;
DROP INDEX idx_approvals_pending;
DROP TABLE approvals;
ALTER TABLE agents DROP COLUMN sandbox;
