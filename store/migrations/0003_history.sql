-- Incremental harvests and change history.

-- The walk in which each record was last seen, and when it left the listing.
ALTER TABLE records ADD COLUMN last_walk INTEGER;
ALTER TABLE records ADD COLUMN gone_at TEXT;
CREATE INDEX records_last_walk ON records (last_walk);

-- One row per changed field of a record: the old and the new value, when,
-- and on which listing page the change was seen. field 'gone' records a
-- record leaving the listing, 'returned' its coming back.
CREATE TABLE record_changes (
	id          INTEGER PRIMARY KEY,
	url         TEXT NOT NULL,
	changed_at  TEXT NOT NULL,
	field       TEXT NOT NULL,
	old_value   TEXT NOT NULL,
	new_value   TEXT NOT NULL,
	listing_url TEXT NOT NULL,
	run_id      INTEGER
);
CREATE INDEX record_changes_url ON record_changes (url, id);

-- The last good answer for each listing page: validators for conditional
-- requests, and what the page held, so that a 304 needs no body.
CREATE TABLE pages (
	url           TEXT PRIMARY KEY,
	etag          TEXT NOT NULL DEFAULT '',
	last_modified TEXT NOT NULL DEFAULT '',
	next_url      TEXT NOT NULL DEFAULT '',
	total         INTEGER NOT NULL DEFAULT 0,
	record_urls   TEXT NOT NULL DEFAULT '',
	fetched_at    TEXT NOT NULL
);

-- A walk is 'full' (resumable, can mark records gone) or 'incremental'; its
-- listing is the start URL without the newest-first ordering.
ALTER TABLE walks ADD COLUMN kind TEXT NOT NULL DEFAULT 'full';
ALTER TABLE walks ADD COLUMN listing TEXT;
UPDATE walks SET listing = start_url;

ALTER TABLE runs ADD COLUMN mode TEXT NOT NULL DEFAULT 'full';
ALTER TABLE runs ADD COLUMN not_modified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN records_gone INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN repaired_pages INTEGER NOT NULL DEFAULT 0;
