-- The manifest of downloaded attachments: one row per record and attachment
-- URL. sha256 names the content-addressed file under the files directory; a
-- row with sha256 '' is an attachment not (yet) downloaded, whose last try
-- failed with status and error. position is the link's place on its
-- document page.
CREATE TABLE files (
	record_url   TEXT NOT NULL,
	url          TEXT NOT NULL,
	position     INTEGER NOT NULL DEFAULT 0,
	label        TEXT NOT NULL DEFAULT '',
	content_type TEXT NOT NULL DEFAULT '',
	size         INTEGER NOT NULL DEFAULT 0,
	sha256       TEXT NOT NULL DEFAULT '',
	status       INTEGER NOT NULL DEFAULT 0,
	error        TEXT NOT NULL DEFAULT '',
	attempts     INTEGER NOT NULL DEFAULT 0,
	fetched_at   TEXT,
	UNIQUE (record_url, url)
);
CREATE INDEX files_sha256 ON files (sha256);
