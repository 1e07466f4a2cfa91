-- Swarm strategies and exact budgets (issue 7): what each agent does in its swarm's plan, what it
-- holds of its budget, and which alerts a budget has already fired.
-- migrate:up
-- inputs, stages, reduce task: what the strategy plans from (the swarm's own row, JSON).
ALTER TABLE swarms ADD COLUMN plan TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(plan));
-- 'budget' while a budget action holds the swarm paused (more money resumes it).
ALTER TABLE swarms ADD COLUMN held_by TEXT;
-- The agent's part in the plan: a mapper, the reducer, pipeline stage `position`, a tree's root…
ALTER TABLE agents ADD COLUMN role TEXT NOT NULL DEFAULT 'worker'
  CHECK (role IN ('worker', 'mapper', 'reducer', 'stage', 'root', 'child'));
ALTER TABLE agents ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
-- What `{input}` is for this agent (an item, a stage's input, the mapper results for a reducer).
ALTER TABLE agents ADD COLUMN input TEXT;
-- The expected cost of the agent's next step, reserved in its budgets' currency; counted against
-- the budgets only while the agent is live, so finishing releases it with no extra write.
ALTER TABLE agents ADD COLUMN reserved_units INTEGER NOT NULL DEFAULT 0 CHECK (reserved_units >= 0);
-- 'budget' while the agent waits for room in its budget (paused by admission or a budget action).
ALTER TABLE agents ADD COLUMN held_by TEXT;
-- Units one step reserves (NULL: 1% of the allocation).
ALTER TABLE budgets ADD COLUMN step_units INTEGER CHECK (step_units IS NULL OR step_units > 0);
-- The highest threshold already announced (0 none, 1 warning, 2 critical, 3 hard stop): each
-- crossing fires once; more money lowers it again.
ALTER TABLE budgets ADD COLUMN alert_level INTEGER NOT NULL DEFAULT 0 CHECK (alert_level BETWEEN 0 AND 3);
ALTER TABLE budgets ADD COLUMN projected_action TEXT NOT NULL DEFAULT 'notify'
  CHECK (projected_action IN ('notify', 'pause', 'kill', 'none'));
-- The burn-rate sampler's state (EWMA), JSON.
ALTER TABLE budgets ADD COLUMN forecast TEXT CHECK (forecast IS NULL OR json_valid(forecast));
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
