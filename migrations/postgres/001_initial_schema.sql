-- Dash initial schema, PostgreSQL dialect of ../001_initial_schema.sql: the same tables, columns,
-- value encodings (JSON as TEXT, flags as 0/1, times as ms) and checks, so the row converters of
-- the SQLite store serve both. Integers are BIGINT (money in micro-units, times in ms). Ids are
-- COLLATE "C": pages and cursors compare them byte-wise, as SQLite does, whatever the database's locale.

-- migrate:up
CREATE TABLE swarms (
  id TEXT COLLATE "C" PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('creating', 'active', 'paused', 'completed', 'failed', 'destroyed')),
  task TEXT NOT NULL,
  strategy TEXT NOT NULL CHECK (strategy IN ('parallel', 'map-reduce', 'pipeline', 'tree')),
  config TEXT NOT NULL DEFAULT '{}',
  target_agent_count BIGINT,
  result TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  completed_at BIGINT,
  version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX idx_swarm_status ON swarms (status);
CREATE INDEX idx_swarm_updated ON swarms (updated_at);

CREATE TABLE agents (
  id TEXT COLLATE "C" PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('idle', 'spawning', 'running', 'paused', 'completed', 'failed', 'killed')),
  swarm_id TEXT NOT NULL REFERENCES swarms (id) ON DELETE CASCADE,
  parent_id TEXT REFERENCES agents (id) ON DELETE SET NULL,
  task TEXT NOT NULL,
  model TEXT NOT NULL,
  progress_current BIGINT NOT NULL DEFAULT 0 CHECK (progress_current >= 0),
  progress_total BIGINT NOT NULL DEFAULT 0 CHECK (progress_total >= 0),
  cost_prompt_tokens BIGINT NOT NULL DEFAULT 0 CHECK (cost_prompt_tokens >= 0),
  cost_completion_tokens BIGINT NOT NULL DEFAULT 0 CHECK (cost_completion_tokens >= 0),
  cost_micros BIGINT NOT NULL DEFAULT 0 CHECK (cost_micros >= 0),
  session_id TEXT,
  metadata TEXT NOT NULL DEFAULT '{}',
  result TEXT,
  error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  started_at BIGINT,
  completed_at BIGINT,
  retry_count BIGINT NOT NULL DEFAULT 0,
  max_retries BIGINT NOT NULL DEFAULT 3,
  version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX idx_agent_swarm ON agents (swarm_id, id);
CREATE INDEX idx_agent_status ON agents (status);
CREATE INDEX idx_agent_parent ON agents (parent_id);
CREATE INDEX idx_agent_session ON agents (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX idx_agent_updated ON agents (updated_at);
-- Recovery and the scheduler look only at live agents: keep that index small.
CREATE INDEX idx_agent_active ON agents (swarm_id) WHERE status IN ('spawning', 'running', 'paused');

-- Several nodes write events, and ULIDs made on different machines are not commit-ordered, so
-- each event also gets `seq` from events_seq, taken inside the writing transaction while it holds
-- a transaction-level advisory lock (released at COMMIT): seq order is commit order, and replay
-- pages on it (postgres-db.ts). Gaps (a rolled-back transaction) are harmless; no duplicates.
CREATE SEQUENCE events_seq;
CREATE TABLE events (
  id TEXT COLLATE "C" PRIMARY KEY,
  seq BIGINT NOT NULL UNIQUE,
  timestamp BIGINT NOT NULL,
  type TEXT NOT NULL,
  source TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX idx_event_timestamp ON events (timestamp);
CREATE INDEX idx_event_type_timestamp ON events (type, timestamp);
CREATE INDEX idx_event_source ON events (source);

CREATE TABLE budgets (
  id TEXT COLLATE "C" PRIMARY KEY,
  entity_type TEXT NOT NULL CHECK (entity_type IN ('project', 'swarm', 'agent', 'task')),
  entity_id TEXT NOT NULL,
  parent_budget_id TEXT REFERENCES budgets (id) ON DELETE SET NULL,
  amount_allocated BIGINT NOT NULL CHECK (amount_allocated >= 0),
  amount_spent BIGINT NOT NULL DEFAULT 0 CHECK (amount_spent >= 0),
  currency TEXT NOT NULL DEFAULT 'USD' CHECK (currency IN ('USD', 'tokens')),
  warning_threshold BIGINT NOT NULL DEFAULT 75 CHECK (warning_threshold BETWEEN 0 AND 100),
  critical_threshold BIGINT NOT NULL DEFAULT 90 CHECK (critical_threshold BETWEEN 0 AND 100),
  hard_stop_threshold BIGINT NOT NULL DEFAULT 100 CHECK (hard_stop_threshold BETWEEN 0 AND 100),
  warning_action TEXT NOT NULL DEFAULT 'notify' CHECK (warning_action IN ('notify', 'pause', 'kill', 'none')),
  critical_action TEXT NOT NULL DEFAULT 'pause' CHECK (critical_action IN ('notify', 'pause', 'kill', 'none')),
  hard_stop_action TEXT NOT NULL DEFAULT 'kill' CHECK (hard_stop_action IN ('notify', 'pause', 'kill', 'none')),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  last_alert_at BIGINT,
  burn_rate DOUBLE PRECISION,
  projected_final BIGINT,
  version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX idx_budget_entity ON budgets (entity_type, entity_id);
CREATE INDEX idx_budget_parent ON budgets (parent_budget_id);

CREATE TABLE api_keys (
  id TEXT COLLATE "C" PRIMARY KEY,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  permissions TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  expires_at BIGINT,
  is_active BIGINT NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
);

-- migrate:down
DROP TABLE api_keys;
DROP TABLE budgets;
DROP TABLE events;
DROP SEQUENCE events_seq;
DROP TABLE agents;
DROP TABLE swarms;
