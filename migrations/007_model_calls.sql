-- The metering model gateway (issue 23): every model call an agent makes through `dash serve` is
-- admitted before it is forwarded, by reserving its worst case on the budget chain, and settled
-- from the provider's usage. A call holds its reservation while it is 'open'; the budgets' reserved
-- totals add the open calls to the agents' step reservations, so settling (or releasing) a call
-- is one row update and no total is ever read-modified-written.
-- migrate:up
CREATE TABLE model_calls (
  id TEXT PRIMARY KEY,
  agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  swarm_id TEXT NOT NULL REFERENCES swarms(id) ON DELETE CASCADE,
  -- The providers: entry of config.yaml it went to, and its wire format.
  provider TEXT NOT NULL,
  api TEXT NOT NULL CHECK (api IN ('anthropic-messages', 'openai-chat', 'openai-responses')),
  model TEXT NOT NULL,
  stream INTEGER NOT NULL CHECK (stream IN (0, 1)),
  -- open: admitted and in flight; settled: its usage is spent; refused: never forwarded;
  -- released: the upstream failed before any usage; lost: the server died while it was open.
  status TEXT NOT NULL CHECK (status IN ('open', 'settled', 'refused', 'released', 'lost')),
  -- What it holds while open, in its budget chain's units (micro-USD or tokens); 0 once closed.
  reserved_units INTEGER NOT NULL DEFAULT 0 CHECK (reserved_units >= 0),
  -- The output tokens it was allowed (the request's, or fewer when the budget had less room).
  max_tokens INTEGER,
  requested_max_tokens INTEGER,
  prompt_tokens INTEGER NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
  completion_tokens INTEGER NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
  cost_micros INTEGER NOT NULL DEFAULT 0 CHECK (cost_micros >= 0),
  http_status INTEGER,
  error TEXT,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  first_byte_ms INTEGER,
  latency_ms INTEGER,
  CHECK ((status = 'open') = (ended_at IS NULL)),
  CHECK (status = 'open' OR reserved_units = 0)
) STRICT;
CREATE INDEX idx_model_calls_agent ON model_calls (agent_id, id);
CREATE INDEX idx_model_calls_open ON model_calls (swarm_id) WHERE status = 'open';
-- How an agent's spend is known: 'gateway' (every call admitted before it is made) or 'reports'
-- (what its output or HTTP reports say, after the fact); null before it ran.
ALTER TABLE agents ADD COLUMN metering TEXT CHECK (metering IS NULL OR metering IN ('gateway', 'reports'));

-- migrate:down
ALTER TABLE agents DROP COLUMN metering;
DROP INDEX idx_model_calls_open;
DROP INDEX idx_model_calls_agent;
DROP TABLE model_calls;
