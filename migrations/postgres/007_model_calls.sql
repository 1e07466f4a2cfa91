-- PostgreSQL dialect of ../007_model_calls.sql: the metering gateway's calls (see there for why
-- an open call holds its reservation on its own row).
-- migrate:up
CREATE TABLE model_calls (
  id TEXT COLLATE "C" PRIMARY KEY,
  agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  swarm_id TEXT NOT NULL REFERENCES swarms(id) ON DELETE CASCADE,
  provider TEXT NOT NULL,
  api TEXT NOT NULL CHECK (api IN ('anthropic-messages', 'openai-chat', 'openai-responses')),
  model TEXT NOT NULL,
  stream BIGINT NOT NULL CHECK (stream IN (0, 1)),
  status TEXT NOT NULL CHECK (status IN ('open', 'settled', 'refused', 'released', 'lost')),
  reserved_units BIGINT NOT NULL DEFAULT 0 CHECK (reserved_units >= 0),
  max_tokens BIGINT,
  requested_max_tokens BIGINT,
  prompt_tokens BIGINT NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
  completion_tokens BIGINT NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
  cost_micros BIGINT NOT NULL DEFAULT 0 CHECK (cost_micros >= 0),
  http_status BIGINT,
  error TEXT,
  started_at BIGINT NOT NULL,
  ended_at BIGINT,
  first_byte_ms BIGINT,
  latency_ms BIGINT,
  CHECK ((status = 'open') = (ended_at IS NULL)),
  CHECK (status = 'open' OR reserved_units = 0)
);
CREATE INDEX idx_model_calls_agent ON model_calls (agent_id, id);
CREATE INDEX idx_model_calls_open ON model_calls (swarm_id) WHERE status = 'open';
ALTER TABLE agents ADD COLUMN metering TEXT CHECK (metering IS NULL OR metering IN ('gateway', 'reports'));

-- migrate:down
ALTER TABLE agents DROP COLUMN metering;
DROP INDEX idx_model_calls_open;
DROP INDEX idx_model_calls_agent;
DROP TABLE model_calls;
