-- Agents run as real processes (DESIGN.md §4): what the supervisor needs to find them again after
-- a crash and to read each report of their output exactly once.
-- migrate:up
-- Bytes of the agent's output log already turned into reports; written in the same transaction
-- as the report it ends, so a restart never applies a line twice.
ALTER TABLE agents ADD COLUMN log_offset INTEGER NOT NULL DEFAULT 0 CHECK (log_offset >= 0);
-- The shim of the current attempt (its process group), and how the last attempt ended.
ALTER TABLE agents ADD COLUMN pid INTEGER;
ALTER TABLE agents ADD COLUMN exit_code INTEGER;

-- migrate:down
ALTER TABLE agents DROP COLUMN exit_code;
ALTER TABLE agents DROP COLUMN pid;
ALTER TABLE agents DROP COLUMN log_offset;
