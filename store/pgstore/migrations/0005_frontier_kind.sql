-- store/migrations/0005_frontier_kind.sql.
ALTER TABLE frontier ADD COLUMN kind TEXT NOT NULL DEFAULT 'listing';
