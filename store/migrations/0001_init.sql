-- One row per document, keyed by its canonical URL.
CREATE TABLE records (
	url         TEXT PRIMARY KEY,
	title       TEXT NOT NULL,
	date        TEXT NOT NULL,
	date_text   TEXT NOT NULL,
	summary     TEXT NOT NULL,
	listing_url TEXT NOT NULL,
	first_seen  TEXT NOT NULL,
	last_seen   TEXT NOT NULL
);

-- A walk is one pass over a listing from its start URL; it may take several
-- runs when one is interrupted. Its frontier is the pages met so far.
CREATE TABLE walks (
	id          INTEGER PRIMARY KEY,
	start_url   TEXT NOT NULL,
	started_at  TEXT NOT NULL,
	finished_at TEXT,
	total       INTEGER
);
CREATE INDEX walks_open ON walks (start_url, finished_at);

CREATE TABLE frontier (
	walk_id    INTEGER NOT NULL REFERENCES walks (id),
	url        TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	state      TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed', 'skipped')),
	attempts   INTEGER NOT NULL DEFAULT 0,
	status     INTEGER,
	error      TEXT,
	records    INTEGER,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (walk_id, url)
);

CREATE TABLE runs (
	id                INTEGER PRIMARY KEY,
	walk_id           INTEGER REFERENCES walks (id),
	start_url         TEXT NOT NULL,
	started_at        TEXT NOT NULL,
	finished_at       TEXT,
	pages             INTEGER NOT NULL DEFAULT 0,
	requests          INTEGER NOT NULL DEFAULT 0,
	records_new       INTEGER NOT NULL DEFAULT 0,
	records_updated   INTEGER NOT NULL DEFAULT 0,
	records_unchanged INTEGER NOT NULL DEFAULT 0,
	failed_pages      INTEGER NOT NULL DEFAULT 0,
	total_reported    INTEGER,
	outcome           TEXT NOT NULL DEFAULT 'running',
	message           TEXT NOT NULL DEFAULT ''
);
