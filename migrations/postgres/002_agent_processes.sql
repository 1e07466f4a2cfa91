-- PostgreSQL dialect of ../002_agent_processes.sql: where the supervisor finds an agent's process.
-- migrate:up
ALTER TABLE agents ADD COLUMN log_offset BIGINT NOT NULL DEFAULT 0 CHECK (log_offset >= 0);
ALTER TABLE agents ADD COLUMN pid BIGINT;
ALTER TABLE agents ADD COLUMN exit_code BIGINT;

-- migrate:down
ALTER TABLE agents DROP COLUMN exit_code;
ALTER TABLE agents DROP COLUMN pid;
ALTER TABLE agents DROP COLUMN log_offset;
