-- One row per record whose document page was fetched (or tried): what the
-- page held, the validators for a conditional request, and the digest of the
-- listing row it was fetched for (harvest.ListingHash), so that a record
-- whose listing row changed is fetched again. A failed fetch keeps what an
-- earlier one stored (ok stays 1) and says why in status and error.
CREATE TABLE documents (
	url           TEXT PRIMARY KEY,           -- the record's URL
	fetch_url     TEXT NOT NULL DEFAULT '',   -- where the page was read, when a redirect moved it
	node_id       TEXT NOT NULL DEFAULT '',
	title         TEXT NOT NULL DEFAULT '',
	date          TEXT NOT NULL DEFAULT '',
	date_text     TEXT NOT NULL DEFAULT '',
	summary       TEXT NOT NULL DEFAULT '',
	fields        TEXT NOT NULL DEFAULT '[]', -- JSON array of harvest.Field
	texts         TEXT NOT NULL DEFAULT '[]', -- JSON array of harvest.Text
	links         TEXT NOT NULL DEFAULT '[]', -- JSON array of harvest.Link
	ok            INTEGER NOT NULL DEFAULT 0, -- 1 once a page was stored
	status        INTEGER NOT NULL DEFAULT 0, -- HTTP status of the last fetch (0: no answer)
	error         TEXT NOT NULL DEFAULT '',   -- why the last fetch failed; '' when it did not
	attempts      INTEGER NOT NULL DEFAULT 0,
	etag          TEXT NOT NULL DEFAULT '',
	last_modified TEXT NOT NULL DEFAULT '',
	listing_hash  TEXT NOT NULL DEFAULT '',   -- of the listing row last fetched for
	walk_id       INTEGER,                    -- the walk that last fetched it (--details=all resumes by it)
	fetched_at    TEXT                        -- of the last good answer
);
