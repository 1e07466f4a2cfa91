-- An agent's own API key (DASH_AGENT_TOKEN) is scoped to it: it reads, and spawns children only
-- in its own swarm (the tree strategy). NULL for operator keys.
-- migrate:up
ALTER TABLE api_keys ADD COLUMN scope TEXT CHECK (scope IS NULL OR json_valid(scope));

-- migrate:down
ALTER TABLE api_keys DROP COLUMN scope;
