-- What `harvest serve` reads, kept up to date by triggers as records are
-- written, so that a read-only server never writes and no page scans the
-- records table.

-- Full-text index over each record's title and summary (and, once document
-- pages are harvested, their details), rowid = records.rowid. It keeps its
-- own copy of the text, so that matches can be highlighted.
CREATE VIRTUAL TABLE records_fts USING fts5 (
	title, summary, details,
	tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO records_fts (rowid, title, summary, details) SELECT rowid, title, summary, '' FROM records;

CREATE TRIGGER records_fts_insert AFTER INSERT ON records BEGIN
	INSERT INTO records_fts (rowid, title, summary, details) VALUES (new.rowid, new.title, new.summary, '');
END;
CREATE TRIGGER records_fts_update AFTER UPDATE OF title, summary ON records
WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary BEGIN
	UPDATE records_fts SET title = new.title, summary = new.summary WHERE rowid = new.rowid;
END;
CREATE TRIGGER records_fts_delete AFTER DELETE ON records BEGIN
	DELETE FROM records_fts WHERE rowid = old.rowid;
END;

-- Records per year of their date ('' for undated), for the year chart and
-- the record count.
CREATE TABLE record_years (
	year TEXT PRIMARY KEY,
	n    INTEGER NOT NULL
);
INSERT INTO record_years (year, n)
	SELECT CASE WHEN date GLOB '[0-9][0-9][0-9][0-9]*' THEN substr(date, 1, 4) ELSE '' END AS y, COUNT(*) FROM records GROUP BY y;

CREATE TRIGGER record_years_insert AFTER INSERT ON records BEGIN
	INSERT INTO record_years (year, n) VALUES (CASE WHEN new.date GLOB '[0-9][0-9][0-9][0-9]*' THEN substr(new.date, 1, 4) ELSE '' END, 1)
		ON CONFLICT (year) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER record_years_update AFTER UPDATE OF date ON records WHEN old.date IS NOT new.date BEGIN
	UPDATE record_years SET n = n - 1 WHERE year = CASE WHEN old.date GLOB '[0-9][0-9][0-9][0-9]*' THEN substr(old.date, 1, 4) ELSE '' END;
	INSERT INTO record_years (year, n) VALUES (CASE WHEN new.date GLOB '[0-9][0-9][0-9][0-9]*' THEN substr(new.date, 1, 4) ELSE '' END, 1)
		ON CONFLICT (year) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER record_years_delete AFTER DELETE ON records BEGIN
	UPDATE record_years SET n = n - 1 WHERE year = CASE WHEN old.date GLOB '[0-9][0-9][0-9][0-9]*' THEN substr(old.date, 1, 4) ELSE '' END;
END;

-- When each record's title, date or summary last changed (NULL: never),
-- for the filter "changed since".
ALTER TABLE records ADD COLUMN changed_at TEXT;
UPDATE records SET changed_at = (SELECT MAX(c.changed_at) FROM record_changes c
	WHERE c.url = records.url AND c.field NOT IN ('gone', 'returned'));
CREATE TRIGGER records_changed_at AFTER INSERT ON record_changes
WHEN new.field NOT IN ('gone', 'returned') BEGIN
	UPDATE records SET changed_at = new.changed_at WHERE url = new.url AND (changed_at IS NULL OR changed_at < new.changed_at);
END;

-- The filters by date and by new / gone / changed since a date.
CREATE INDEX records_changed_at ON records (changed_at) WHERE changed_at IS NOT NULL;
CREATE INDEX records_date ON records (date);
-- Oldest first with the undated last, without a sort of every match.
CREATE INDEX records_date_oldest ON records (date = '', date);
CREATE INDEX records_first_seen ON records (first_seen);
CREATE INDEX records_gone_at ON records (gone_at) WHERE gone_at IS NOT NULL;

-- Document pages (0007): their description, every field's values and their
-- text tabs go into the record's details in the full-text index.
CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents WHEN new.ok = 1 BEGIN
	UPDATE records_fts SET details = new.summary || ' ' ||
		COALESCE((SELECT group_concat(v.value, ' ') FROM json_each(new.fields) f, json_each(f.value, '$.Values') v), '') || ' ' ||
		COALESCE((SELECT group_concat(json_extract(t.value, '$.Body'), ' ') FROM json_each(new.texts) t), '')
	WHERE rowid = (SELECT rowid FROM records WHERE url = new.url);
END;
CREATE TRIGGER documents_fts_update AFTER UPDATE OF summary, fields, texts, ok ON documents
WHEN new.ok = 1 AND (old.summary IS NOT new.summary OR old.fields IS NOT new.fields OR old.texts IS NOT new.texts OR old.ok IS NOT new.ok) BEGIN
	UPDATE records_fts SET details = new.summary || ' ' ||
		COALESCE((SELECT group_concat(v.value, ' ') FROM json_each(new.fields) f, json_each(f.value, '$.Values') v), '') || ' ' ||
		COALESCE((SELECT group_concat(json_extract(t.value, '$.Body'), ' ') FROM json_each(new.texts) t), '')
	WHERE rowid = (SELECT rowid FROM records WHERE url = new.url);
END;
UPDATE records_fts SET details = (SELECT d.summary || ' ' ||
		COALESCE((SELECT group_concat(v.value, ' ') FROM json_each(d.fields) f, json_each(f.value, '$.Values') v), '') || ' ' ||
		COALESCE((SELECT group_concat(json_extract(t.value, '$.Body'), ' ') FROM json_each(d.texts) t), '')
	FROM documents d JOIN records r ON r.url = d.url WHERE r.rowid = records_fts.rowid AND d.ok = 1)
WHERE rowid IN (SELECT r.rowid FROM records r JOIN documents d ON d.url = r.url WHERE d.ok = 1);

-- The facets of document pages: each value of their subjects, people,
-- places and languages, one row each, and how many records have each value.
-- (DISTINCT, not OR IGNORE, where a page names a person twice, as author
-- and among the people: a trigger's conflict clause gives way to that of the
-- upsert that fired it.)
CREATE TABLE document_terms (
	url   TEXT NOT NULL, -- the record's
	facet TEXT NOT NULL CHECK (facet IN ('subject', 'person', 'place', 'language')),
	value TEXT NOT NULL,
	PRIMARY KEY (facet, value, url)
) WITHOUT ROWID;
CREATE INDEX document_terms_url ON document_terms (url);
CREATE TABLE document_term_counts (
	facet TEXT NOT NULL,
	value TEXT NOT NULL,
	n     INTEGER NOT NULL,
	PRIMARY KEY (facet, value)
) WITHOUT ROWID;
CREATE INDEX document_term_counts_n ON document_term_counts (facet, n);

CREATE TRIGGER document_terms_insert AFTER INSERT ON document_terms BEGIN
	INSERT INTO document_term_counts (facet, value, n) VALUES (new.facet, new.value, 1)
		ON CONFLICT (facet, value) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER document_terms_delete AFTER DELETE ON document_terms BEGIN
	UPDATE document_term_counts SET n = n - 1 WHERE facet = old.facet AND value = old.value;
	DELETE FROM document_term_counts WHERE facet = old.facet AND value = old.value AND n <= 0;
END;

CREATE TRIGGER documents_terms_insert AFTER INSERT ON documents WHEN new.ok = 1 BEGIN
	INSERT OR IGNORE INTO document_terms (url, facet, value)
		SELECT DISTINCT new.url, CASE json_extract(f.value, '$.Key') WHEN 'subjects' THEN 'subject' WHEN 'associated_people' THEN 'person'
			WHEN 'author' THEN 'person' WHEN 'associated_places' THEN 'place' ELSE 'language' END, v.value
		FROM json_each(new.fields) f, json_each(f.value, '$.Values') v
		WHERE json_extract(f.value, '$.Key') IN ('subjects', 'associated_people', 'author', 'associated_places', 'language') AND v.value <> '';
END;
CREATE TRIGGER documents_terms_update AFTER UPDATE OF fields, ok ON documents
WHEN new.ok = 1 AND (old.fields IS NOT new.fields OR old.ok IS NOT new.ok) BEGIN
	DELETE FROM document_terms WHERE url = new.url;
	INSERT OR IGNORE INTO document_terms (url, facet, value)
		SELECT DISTINCT new.url, CASE json_extract(f.value, '$.Key') WHEN 'subjects' THEN 'subject' WHEN 'associated_people' THEN 'person'
			WHEN 'author' THEN 'person' WHEN 'associated_places' THEN 'place' ELSE 'language' END, v.value
		FROM json_each(new.fields) f, json_each(f.value, '$.Values') v
		WHERE json_extract(f.value, '$.Key') IN ('subjects', 'associated_people', 'author', 'associated_places', 'language') AND v.value <> '';
END;
INSERT OR IGNORE INTO document_terms (url, facet, value)
	SELECT DISTINCT d.url, CASE json_extract(f.value, '$.Key') WHEN 'subjects' THEN 'subject' WHEN 'associated_people' THEN 'person'
		WHEN 'author' THEN 'person' WHEN 'associated_places' THEN 'place' ELSE 'language' END, v.value
	FROM documents d, json_each(d.fields) f, json_each(f.value, '$.Values') v
	WHERE d.ok = 1 AND json_extract(f.value, '$.Key') IN ('subjects', 'associated_people', 'author', 'associated_places', 'language') AND v.value <> '';
