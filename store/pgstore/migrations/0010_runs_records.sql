-- store/migrations/0010_runs_records.sql: the records a run's walk held when
-- the run ended.
ALTER TABLE runs ADD COLUMN records BIGINT;
