-- PostgreSQL dialect of ../006_merge_approvals.sql: approvals of kind 'merge' (a git conflict).
-- migrate:up
ALTER TABLE approvals DROP CONSTRAINT approvals_kind_check;
ALTER TABLE approvals ADD CONSTRAINT approvals_kind_check CHECK (kind IN ('agent', 'budget', 'merge'));

-- migrate:down
DELETE FROM approvals WHERE kind = 'merge';
ALTER TABLE approvals DROP CONSTRAINT approvals_kind_check;
ALTER TABLE approvals ADD CONSTRAINT approvals_kind_check CHECK (kind IN ('agent', 'budget'));
