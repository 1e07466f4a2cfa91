-- Escalation with context (issue 27). An approval keeps what the server gathered for the person
-- deciding (the agent's task, its last log lines, its cost and its swarm's, the files it changed,
-- what its timeout does), what its timeout does, and when it was escalated: recorded on the row,
-- in the write path's transaction, so with several servers `approval.escalated` fires once.
-- Rules answer matching requests at once, as a person would have.
-- migrate:up
-- JSON (core/approval-context.ts); NULL for the requests made before this migration.
ALTER TABLE approvals ADD COLUMN context TEXT CHECK (context IS NULL OR json_valid(context));
-- What an unanswered request comes to at expires_at: denied (as before), approved, or its agent killed.
ALTER TABLE approvals ADD COLUMN on_timeout TEXT NOT NULL DEFAULT 'deny' CHECK (on_timeout IN ('deny', 'approve', 'kill'));
ALTER TABLE approvals ADD COLUMN escalated_at INTEGER;
-- The timer's sweep: pending requests not escalated yet, oldest first.
CREATE INDEX idx_approvals_unescalated ON approvals (created_at) WHERE status = 'pending' AND escalated_at IS NULL;
CREATE TABLE approval_rules (
  id TEXT PRIMARY KEY,
  action TEXT NOT NULL CHECK (action IN ('approve', 'deny')),
  -- NULL: every swarm's requests.
  swarm_id TEXT REFERENCES swarms(id) ON DELETE CASCADE,
  -- A glob on the request's title: `*` is any text, `\*` a star.
  pattern TEXT NOT NULL,
  -- The key that made it, and the answered request it was made from (no reference: it may go).
  created_by TEXT,
  from_approval TEXT,
  created_at INTEGER NOT NULL
) STRICT;
-- One rule per pattern and swarm: two could only agree or contradict each other.
CREATE UNIQUE INDEX idx_approval_rules_pattern ON approval_rules (COALESCE(swarm_id, ''), pattern);

-- migrate:down
DROP INDEX idx_approval_rules_pattern;
DROP TABLE approval_rules;
DROP INDEX idx_approvals_unescalated;
ALTER TABLE approvals DROP COLUMN escalated_at;
ALTER TABLE approvals DROP COLUMN on_timeout;
ALTER TABLE approvals DROP COLUMN context;
