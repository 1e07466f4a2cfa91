-- Dash initial schema (PRD §6, in valid SQLite: separate CREATE INDEX, STRICT tables).
-- Money is INTEGER: micro-USD for USD budgets, whole tokens for token budgets (DESIGN.md §3).
-- Counts that can be derived (agents per swarm, total tokens) are not stored.

-- migrate:up
CREATE TABLE swarms (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('creating', 'active', 'paused', 'completed', 'failed', 'destroyed')),
  task TEXT NOT NULL,
  strategy TEXT NOT NULL CHECK (strategy IN ('parallel', 'map-reduce', 'pipeline', 'tree')),
  config TEXT NOT NULL DEFAULT '{}',
  target_agent_count INTEGER,
  result TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  completed_at INTEGER,
  version INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX idx_swarm_status ON swarms (status);
CREATE INDEX idx_swarm_updated ON swarms (updated_at);

CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('idle', 'spawning', 'running', 'paused', 'completed', 'failed', 'killed')),
  swarm_id TEXT NOT NULL REFERENCES swarms (id) ON DELETE CASCADE,
  parent_id TEXT REFERENCES agents (id) ON DELETE SET NULL,
  task TEXT NOT NULL,
  model TEXT NOT NULL,
  progress_current INTEGER NOT NULL DEFAULT 0 CHECK (progress_current >= 0),
  progress_total INTEGER NOT NULL DEFAULT 0 CHECK (progress_total >= 0),
  cost_prompt_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cost_prompt_tokens >= 0),
  cost_completion_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cost_completion_tokens >= 0),
  cost_micros INTEGER NOT NULL DEFAULT 0 CHECK (cost_micros >= 0),
  session_id TEXT,
  metadata TEXT NOT NULL DEFAULT '{}',
  result TEXT,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  completed_at INTEGER,
  retry_count INTEGER NOT NULL DEFAULT 0,
  max_retries INTEGER NOT NULL DEFAULT 3,
  version INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX idx_agent_swarm ON agents (swarm_id, id);
CREATE INDEX idx_agent_status ON agents (status);
CREATE INDEX idx_agent_parent ON agents (parent_id);
CREATE INDEX idx_agent_session ON agents (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX idx_agent_updated ON agents (updated_at);
-- Recovery and the scheduler look only at live agents: keep that index small.
CREATE INDEX idx_agent_active ON agents (swarm_id) WHERE status IN ('spawning', 'running', 'paused');

-- Ids are ULIDs assigned inside the writing transaction, so id order is commit order.
CREATE TABLE events (
  id TEXT PRIMARY KEY,
  timestamp INTEGER NOT NULL,
  type TEXT NOT NULL,
  source TEXT NOT NULL,
  data TEXT NOT NULL
) STRICT;
CREATE INDEX idx_event_timestamp ON events (timestamp);
CREATE INDEX idx_event_type_timestamp ON events (type, timestamp);
CREATE INDEX idx_event_source ON events (source);

CREATE TABLE budgets (
  id TEXT PRIMARY KEY,
  entity_type TEXT NOT NULL CHECK (entity_type IN ('project', 'swarm', 'agent', 'task')),
  entity_id TEXT NOT NULL,
  parent_budget_id TEXT REFERENCES budgets (id) ON DELETE SET NULL,
  amount_allocated INTEGER NOT NULL CHECK (amount_allocated >= 0),
  amount_spent INTEGER NOT NULL DEFAULT 0 CHECK (amount_spent >= 0),
  currency TEXT NOT NULL DEFAULT 'USD' CHECK (currency IN ('USD', 'tokens')),
  warning_threshold INTEGER NOT NULL DEFAULT 75 CHECK (warning_threshold BETWEEN 0 AND 100),
  critical_threshold INTEGER NOT NULL DEFAULT 90 CHECK (critical_threshold BETWEEN 0 AND 100),
  hard_stop_threshold INTEGER NOT NULL DEFAULT 100 CHECK (hard_stop_threshold BETWEEN 0 AND 100),
  warning_action TEXT NOT NULL DEFAULT 'notify' CHECK (warning_action IN ('notify', 'pause', 'kill', 'none')),
  critical_action TEXT NOT NULL DEFAULT 'pause' CHECK (critical_action IN ('notify', 'pause', 'kill', 'none')),
  hard_stop_action TEXT NOT NULL DEFAULT 'kill' CHECK (hard_stop_action IN ('notify', 'pause', 'kill', 'none')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_alert_at INTEGER,
  burn_rate REAL,
  projected_final INTEGER,
  version INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE UNIQUE INDEX idx_budget_entity ON budgets (entity_type, entity_id);
CREATE INDEX idx_budget_parent ON budgets (parent_budget_id);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  permissions TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  expires_at INTEGER,
  is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;

-- migrate:down
DROP TABLE api_keys;
DROP TABLE budgets;
DROP TABLE events;
DROP TABLE agents;
DROP TABLE swarms;
