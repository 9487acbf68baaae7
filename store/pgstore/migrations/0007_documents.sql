-- store/migrations/0007_documents.sql: one row per record whose document
-- page was fetched (or tried).
CREATE TABLE documents (
	url           TEXT PRIMARY KEY,
	fetch_url     TEXT NOT NULL DEFAULT '',
	node_id       TEXT NOT NULL DEFAULT '',
	title         TEXT NOT NULL DEFAULT '',
	date          TEXT NOT NULL DEFAULT '',
	date_text     TEXT NOT NULL DEFAULT '',
	summary       TEXT NOT NULL DEFAULT '',
	fields        TEXT NOT NULL DEFAULT '[]',
	texts         TEXT NOT NULL DEFAULT '[]',
	links         TEXT NOT NULL DEFAULT '[]',
	ok            INTEGER NOT NULL DEFAULT 0,
	status        INTEGER NOT NULL DEFAULT 0,
	error         TEXT NOT NULL DEFAULT '',
	attempts      INTEGER NOT NULL DEFAULT 0,
	etag          TEXT NOT NULL DEFAULT '',
	last_modified TEXT NOT NULL DEFAULT '',
	listing_hash  TEXT NOT NULL DEFAULT '',
	walk_id       BIGINT,
	fetched_at    TEXT
);
