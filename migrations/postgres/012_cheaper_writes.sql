-- Index entries a create no longer writes (issue 29): most agents have no parent and most budgets
-- no parent budget, yet each insert filed its NULL in `idx_agent_parent` / `idx_budget_parent`.
-- Every query of those columns (children of an agent, the swarms of a project, and the foreign
-- keys' ON DELETE SET NULL) asks `parent = $1`, which implies NOT NULL: the partial index serves it.
-- The SQLite migration of the same number also rewrites its CHECKs' IN lists as comparisons
-- (SQLite builds a temporary table for each list on every INSERT); PostgreSQL evaluates an IN
-- list in place, so its CHECKs stay as they are.
-- migrate:up
DROP INDEX idx_agent_parent;
CREATE INDEX idx_agent_parent ON agents (parent_id) WHERE parent_id IS NOT NULL;
DROP INDEX idx_budget_parent;
CREATE INDEX idx_budget_parent ON budgets (parent_budget_id) WHERE parent_budget_id IS NOT NULL;

-- migrate:down
DROP INDEX idx_budget_parent;
CREATE INDEX idx_budget_parent ON budgets (parent_budget_id);
DROP INDEX idx_agent_parent;
CREATE INDEX idx_agent_parent ON agents (parent_id);
