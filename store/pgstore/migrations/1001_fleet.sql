-- PostgreSQL's own (steps from 1001 on mirror nothing in SQLite): what lets
-- several crawl processes share one frontier and one politeness budget.

-- A page of the frontier is leased to the worker fetching it until
-- lease_until (the database's clock): no other worker takes it meanwhile,
-- and a dead worker's leases run out.
ALTER TABLE frontier ADD COLUMN lease_owner TEXT;
ALTER TABLE frontier ADD COLUMN lease_until TIMESTAMPTZ;
CREATE INDEX frontier_pending ON frontier (walk_id, seq) WHERE state = 'pending';

-- Each host's politeness across the fleet: the earliest start of its next
-- request, and the requests in flight to it (each slot expires, so that a
-- dead worker's slots come free).
CREATE TABLE host_gate (
	host    TEXT PRIMARY KEY,
	next_at TIMESTAMPTZ NOT NULL DEFAULT 'epoch'
);
CREATE TABLE host_slots (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	host       TEXT NOT NULL,
	owner      TEXT NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX host_slots_host ON host_slots (host);
