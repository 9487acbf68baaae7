-- Adding a page to a walk's frontier reads the walk's highest seq: index it,
-- or each addition scans the walk (quadratic over a 1,676-page listing).
CREATE INDEX frontier_seq ON frontier (walk_id, seq);
