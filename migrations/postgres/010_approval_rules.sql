-- Escalation with context (issue 27): the PostgreSQL dialect of ../010_approval_rules.sql. The
-- approval row records its context, its timeout action and when it was escalated; rules answer
-- matching requests at once.
-- migrate:up
ALTER TABLE approvals ADD COLUMN context TEXT CHECK (context IS NULL OR context::json IS NOT NULL);
ALTER TABLE approvals ADD COLUMN on_timeout TEXT NOT NULL DEFAULT 'deny' CHECK (on_timeout IN ('deny', 'approve', 'kill'));
ALTER TABLE approvals ADD COLUMN escalated_at BIGINT;
CREATE INDEX idx_approvals_unescalated ON approvals (created_at) WHERE status = 'pending' AND escalated_at IS NULL;
CREATE TABLE approval_rules (
  id TEXT COLLATE "C" PRIMARY KEY,
  action TEXT NOT NULL CHECK (action IN ('approve', 'deny')),
  swarm_id TEXT REFERENCES swarms(id) ON DELETE CASCADE,
  pattern TEXT NOT NULL,
  created_by TEXT,
  from_approval TEXT,
  created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX idx_approval_rules_pattern ON approval_rules (COALESCE(swarm_id, ''), pattern);

-- migrate:down
DROP INDEX idx_approval_rules_pattern;
DROP TABLE approval_rules;
DROP INDEX idx_approvals_unescalated;
ALTER TABLE approvals DROP COLUMN escalated_at;
ALTER TABLE approvals DROP COLUMN on_timeout;
ALTER TABLE approvals DROP COLUMN context;
