-- The records a run's walk held when the run ended (RunSummary.Records):
-- stats --json reports it per run. NULL for runs before this column; they
-- read as 0.
ALTER TABLE runs ADD COLUMN records INTEGER;
