-- store/migrations/0004_frontier_seq.sql.
CREATE INDEX frontier_seq ON frontier (walk_id, seq);
