-- PostgreSQL dialect of ../004_swarm_plans.sql: strategies' plans, reservations, alert levels.
-- migrate:up
ALTER TABLE swarms ADD COLUMN plan TEXT NOT NULL DEFAULT '{}' CHECK (plan::json IS NOT NULL);
ALTER TABLE swarms ADD COLUMN held_by TEXT;
ALTER TABLE agents ADD COLUMN role TEXT NOT NULL DEFAULT 'worker'
  CHECK (role IN ('worker', 'mapper', 'reducer', 'stage', 'root', 'child'));
ALTER TABLE agents ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN input TEXT;
ALTER TABLE agents ADD COLUMN reserved_units BIGINT NOT NULL DEFAULT 0 CHECK (reserved_units >= 0);
ALTER TABLE agents ADD COLUMN held_by TEXT;
ALTER TABLE budgets ADD COLUMN step_units BIGINT CHECK (step_units IS NULL OR step_units > 0);
ALTER TABLE budgets ADD COLUMN alert_level BIGINT NOT NULL DEFAULT 0 CHECK (alert_level BETWEEN 0 AND 3);
ALTER TABLE budgets ADD COLUMN projected_action TEXT NOT NULL DEFAULT 'notify'
  CHECK (projected_action IN ('notify', 'pause', 'kill', 'none'));
ALTER TABLE budgets ADD COLUMN forecast TEXT CHECK (forecast IS NULL OR forecast::json IS NOT NULL);
CREATE INDEX idx_agent_held ON agents (swarm_id) WHERE held_by IS NOT NULL;

-- migrate:down
DROP INDEX idx_agent_held;
ALTER TABLE budgets DROP COLUMN forecast;
ALTER TABLE budgets DROP COLUMN projected_action;
ALTER TABLE budgets DROP COLUMN alert_level;
ALTER TABLE budgets DROP COLUMN step_units;
ALTER TABLE agents DROP COLUMN held_by;
ALTER TABLE agents DROP COLUMN reserved_units;
ALTER TABLE agents DROP COLUMN input;
ALTER TABLE agents DROP COLUMN position;
ALTER TABLE agents DROP COLUMN role;
ALTER TABLE swarms DROP COLUMN held_by;
ALTER TABLE swarms DROP COLUMN plan;
