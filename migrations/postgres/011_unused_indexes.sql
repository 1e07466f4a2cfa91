-- Indexes no query reads (issue 29). Every write paid for them: `updated_at` changes on every
-- update of an agent or a swarm (each usage report, each progress line), so its index was
-- rewritten each time, and every event was also filed by its source. On PostgreSQL a changed
-- indexed column also keeps the update from being HOT: every index of the table took a new entry.
-- Nothing orders or filters by these: agents and swarms are read by id, swarm, status, parent and
-- session; events by id, time and type (postgres-reader.ts). The PRD's schema sketch lists them;
-- its §8.3 queries do not use them. `migrate:down` puts them back.
-- migrate:up
DROP INDEX idx_agent_updated;
DROP INDEX idx_swarm_updated;
DROP INDEX idx_event_source;

-- migrate:down
CREATE INDEX idx_event_source ON events (source);
CREATE INDEX idx_swarm_updated ON swarms (updated_at);
CREATE INDEX idx_agent_updated ON agents (updated_at);
