-- PostgreSQL dialect of ../003_agent_keys.sql: an agent's own key is scoped to it (JSON, or NULL).
-- A cast to json stands for SQLite's json_valid: invalid JSON is refused (as an error of the cast).
-- migrate:up
ALTER TABLE api_keys ADD COLUMN scope TEXT CHECK (scope IS NULL OR scope::json IS NOT NULL);

-- migrate:down
ALTER TABLE api_keys DROP COLUMN scope;
