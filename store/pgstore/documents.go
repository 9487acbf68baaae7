package pgstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/harvest-archive/harvest"
)

// DocumentsDue calls fn for every listed record whose document page is to be
// fetched, as the SQLite store's DocumentsDue does; the tasks are read
// before fn is first called.
func (db *DB) DocumentsDue(ctx context.Context, walkID int64, all bool, fn func(harvest.DocumentTask) error) error {
	var due []harvest.DocumentTask
	err := each(ctx, db.pool, `SELECT r.url, r.title, r.date, r.date_text, r.summary, COALESCE(d.ok, 0) = 1, COALESCE(d.error, ''),
		COALESCE(d.listing_hash, ''), COALESCE(d.etag, ''), COALESCE(d.last_modified, ''), COALESCE(d.walk_id, 0), COALESCE(d.attempts, 0)
		FROM records r LEFT JOIN documents d ON d.url = r.url WHERE r.gone_at IS NULL ORDER BY r.id`, nil, func(rows pgx.Rows) error {
		var r harvest.Record
		var t harvest.DocumentTask
		var errText, hash string
		var walk int64
		if err := rows.Scan(&r.URL, &r.Title, &r.Date, &r.DateText, &r.Summary, &t.Stored, &errText, &hash, &t.ETag, &t.LastModified, &walk, &t.Attempts); err != nil {
			return err
		}
		t.URL, t.ListingHash = r.URL, harvest.ListingHash(r)
		if !t.Stored || errText != "" || hash != t.ListingHash || (all && walk != walkID) {
			if hash != t.ListingHash {
				t.ETag, t.LastModified = "", "" // the listing row changed: ask unconditionally
			}
			due = append(due, t)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read documents due: %w", err)
	}
	for _, t := range due {
		if err := fn(t); err != nil {
			return err
		}
	}
	return nil
}

// SaveDocuments stores fetched document pages in one transaction, as the
// SQLite store's SaveDocuments does.
func (db *DB) SaveDocuments(ctx context.Context, docs []harvest.DocumentResult) error {
	now := db.now()
	return db.tx(ctx, func(tx pgx.Tx) error {
		for _, r := range docs {
			d := r.Document
			var err error
			switch {
			case r.Err != nil:
				_, err = tx.Exec(ctx, `INSERT INTO documents (url, status, error, attempts) VALUES ($1, $2, $3, 1)
					ON CONFLICT (url) DO UPDATE SET status = excluded.status, error = excluded.error, attempts = documents.attempts + 1`,
					d.URL, d.Status, r.Err.Error())
			case r.NotModified:
				_, err = tx.Exec(ctx, `UPDATE documents SET status = $1, error = '', attempts = 0, listing_hash = $2, walk_id = $3, fetched_at = $4,
					etag = COALESCE(NULLIF($5::text, ''), etag), last_modified = COALESCE(NULLIF($6::text, ''), last_modified) WHERE url = $7`,
					d.Status, r.ListingHash, r.WalkID, now, r.ETag, r.LastModified, d.URL)
			default:
				at := now
				if !d.FetchedAt.IsZero() {
					at = harvest.FormatTime(d.FetchedAt)
				}
				var fields, texts, links []byte
				if fields, err = jsonOf(d.Fields); err != nil {
					break
				}
				if texts, err = jsonOf(d.Texts); err != nil {
					break
				}
				if links, err = jsonOf(d.Links); err != nil {
					break
				}
				_, err = tx.Exec(ctx, `INSERT INTO documents (url, fetch_url, node_id, title, date, date_text, summary, fields, texts, links,
					ok, status, error, attempts, etag, last_modified, listing_hash, walk_id, fetched_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, '', 0, $12, $13, $14, $15, $16)
					ON CONFLICT (url) DO UPDATE SET fetch_url = excluded.fetch_url, node_id = excluded.node_id, title = excluded.title,
					date = excluded.date, date_text = excluded.date_text, summary = excluded.summary, fields = excluded.fields,
					texts = excluded.texts, links = excluded.links, ok = 1, status = excluded.status, error = '', attempts = 0,
					etag = excluded.etag, last_modified = excluded.last_modified, listing_hash = excluded.listing_hash,
					walk_id = excluded.walk_id, fetched_at = excluded.fetched_at`,
					d.URL, d.FetchURL, d.NodeID, d.Title, d.Date, d.DateText, d.Summary, string(fields), string(texts), string(links),
					d.Status, r.ETag, r.LastModified, r.ListingHash, r.WalkID, at)
			}
			if err != nil {
				return fmt.Errorf("save document %s: %w", d.URL, err)
			}
		}
		return nil
	})
}

// jsonOf encodes v, an empty slice as [].
func jsonOf[T any](v []T) ([]byte, error) {
	if v == nil {
		v = []T{}
	}
	return json.Marshal(v)
}

// Documents calls fn for every stored document page, in the order their
// records were first stored.
func (db *DB) Documents(ctx context.Context, fn func(harvest.Document) error) error {
	err := each(ctx, db.pool, `SELECT d.url, d.fetch_url, d.node_id, d.title, d.date, d.date_text, d.summary, d.fields, d.texts, d.links,
		d.status, COALESCE(d.fetched_at, '') FROM documents d JOIN records r ON r.url = d.url WHERE d.ok = 1 ORDER BY r.id`, nil, func(rows pgx.Rows) error {
		var d harvest.Document
		var fields, texts, links, at string
		if err := rows.Scan(&d.URL, &d.FetchURL, &d.NodeID, &d.Title, &d.Date, &d.DateText, &d.Summary, &fields, &texts, &links, &d.Status, &at); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(fields), &d.Fields); err != nil {
			return fmt.Errorf("fields of %s: %w", d.URL, err)
		}
		if err := json.Unmarshal([]byte(texts), &d.Texts); err != nil {
			return fmt.Errorf("texts of %s: %w", d.URL, err)
		}
		if err := json.Unmarshal([]byte(links), &d.Links); err != nil {
			return fmt.Errorf("links of %s: %w", d.URL, err)
		}
		d.FetchedAt = parseTime(at)
		return callerErr{fn(d)}.orNil()
	})
	return unwrapCaller(err, "read documents")
}

// FilesDue calls fn for every attachment link of every stored document page,
// with its manifest row when it was downloaded before, as the SQLite
// store's FilesDue does; the tasks are read before fn is first called.
func (db *DB) FilesDue(ctx context.Context, fn func(harvest.FileTask) error) error {
	type key struct{ rec, url string }
	known := map[key]harvest.FileTask{}
	err := each(ctx, db.pool, `SELECT record_url, url, label, content_type, size, sha256, attempts, COALESCE(fetched_at, '') FROM files`, nil, func(rows pgx.Rows) error {
		var t harvest.FileTask
		var at string
		e := &t.Entry
		if err := rows.Scan(&e.RecordURL, &e.URL, &e.Label, &e.ContentType, &e.Size, &e.SHA256, &t.Attempts, &at); err != nil {
			return err
		}
		e.FetchedAt = parseTime(at)
		k := key{e.RecordURL, e.URL}
		if e.SHA256 == "" {
			t.Entry = harvest.FileEntry{} // a failure, not a download
		}
		known[k] = t
		return nil
	})
	if err != nil {
		return fmt.Errorf("read files manifest: %w", err)
	}
	var due []harvest.FileTask
	err = each(ctx, db.pool, `SELECT d.url, d.links FROM documents d JOIN records r ON r.url = d.url WHERE d.ok = 1 ORDER BY r.id`, nil, func(rows pgx.Rows) error {
		var rec, text string
		if err := rows.Scan(&rec, &text); err != nil {
			return err
		}
		var links []harvest.Link
		if err := json.Unmarshal([]byte(text), &links); err != nil {
			return fmt.Errorf("links of %s: %w", rec, err)
		}
		seen := map[string]bool{}
		for i, l := range links {
			if l.URL == "" || seen[l.URL] {
				continue
			}
			seen[l.URL] = true
			t := known[key{rec, l.URL}]
			t.RecordURL, t.URL, t.Label, t.Position = rec, l.URL, l.Label, i
			due = append(due, t)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read attachment links: %w", err)
	}
	for _, t := range due {
		if err := fn(t); err != nil {
			return err
		}
	}
	return nil
}

// SaveFile writes the manifest row of a downloaded attachment.
func (db *DB) SaveFile(ctx context.Context, e harvest.FileEntry, position int) error {
	at := db.now()
	if !e.FetchedAt.IsZero() {
		at = harvest.FormatTime(e.FetchedAt)
	}
	_, err := db.exec(ctx, `INSERT INTO files (record_url, url, position, label, content_type, size, sha256, status, error, attempts, fetched_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 200, '', 0, $8)
		ON CONFLICT (record_url, url) DO UPDATE SET position = excluded.position, label = excluded.label, content_type = excluded.content_type,
		size = excluded.size, sha256 = excluded.sha256, status = 200, error = '', attempts = 0, fetched_at = excluded.fetched_at`,
		e.RecordURL, e.URL, position, e.Label, e.ContentType, e.Size, e.SHA256, at)
	if err != nil {
		return fmt.Errorf("save manifest row of %s: %w", e.URL, err)
	}
	return nil
}

// MarkFileFailed records that downloading an attachment failed.
func (db *DB) MarkFileFailed(ctx context.Context, t harvest.FileTask, status int, cause error) error {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	_, err := db.exec(ctx, `INSERT INTO files (record_url, url, position, label, status, error, attempts)
		VALUES ($1, $2, $3, $4, $5, $6, 1)
		ON CONFLICT (record_url, url) DO UPDATE SET status = excluded.status, error = excluded.error, attempts = files.attempts + 1`,
		t.RecordURL, t.URL, t.Position, t.Label, status, msg)
	if err != nil {
		return fmt.Errorf("record failed download of %s: %w", t.URL, err)
	}
	return nil
}

// Files calls fn for every downloaded attachment in the manifest, in the
// order their records were first stored and then as each page lists them.
func (db *DB) Files(ctx context.Context, fn func(harvest.FileEntry) error) error {
	err := each(ctx, db.pool, `SELECT f.record_url, f.url, f.label, f.content_type, f.size, f.sha256, COALESCE(f.fetched_at, '')
		FROM files f LEFT JOIN records r ON r.url = f.record_url WHERE f.sha256 <> '' ORDER BY r.id, f.position, f.id`, nil, func(rows pgx.Rows) error {
		var e harvest.FileEntry
		var at string
		if err := rows.Scan(&e.RecordURL, &e.URL, &e.Label, &e.ContentType, &e.Size, &e.SHA256, &at); err != nil {
			return err
		}
		e.FetchedAt = parseTime(at)
		return callerErr{fn(e)}.orNil()
	})
	return unwrapCaller(err, "read files manifest")
}

// Details calls fn for every record, in the order of Records, with its
// stored document page, or nil when none is stored: one query.
func (db *DB) Details(ctx context.Context, fn func(harvest.Record, *harvest.Document) error) error {
	err := each(ctx, db.pool, `SELECT r.url, r.title, r.date, r.date_text, r.summary, r.listing_url, r.first_seen, r.last_seen, COALESCE(r.gone_at, ''),
		d.url IS NOT NULL, COALESCE(d.fetch_url, ''), COALESCE(d.node_id, ''), COALESCE(d.title, ''), COALESCE(d.date, ''),
		COALESCE(d.date_text, ''), COALESCE(d.summary, ''), COALESCE(d.fields, '[]'), COALESCE(d.texts, '[]'), COALESCE(d.links, '[]'),
		COALESCE(d.status, 0), COALESCE(d.fetched_at, '')
		FROM records r LEFT JOIN documents d ON d.url = r.url AND d.ok = 1 ORDER BY r.id`, nil, func(rows pgx.Rows) error {
		var r harvest.Record
		var d harvest.Document
		var first, last, gone, fields, texts, links, at string
		var has bool
		if err := rows.Scan(&r.URL, &r.Title, &r.Date, &r.DateText, &r.Summary, &r.ListingURL, &first, &last, &gone,
			&has, &d.FetchURL, &d.NodeID, &d.Title, &d.Date, &d.DateText, &d.Summary, &fields, &texts, &links, &d.Status, &at); err != nil {
			return err
		}
		r.FirstSeen, r.LastSeen, r.GoneAt = parseTime(first), parseTime(last), parseTime(gone)
		if !has {
			return callerErr{fn(r, nil)}.orNil()
		}
		d.URL = r.URL
		for _, part := range []struct {
			name string
			json string
			to   any
		}{{"fields", fields, &d.Fields}, {"texts", texts, &d.Texts}, {"links", links, &d.Links}} {
			if err := json.Unmarshal([]byte(part.json), part.to); err != nil {
				return fmt.Errorf("%s of %s: %w", part.name, r.URL, err)
			}
		}
		d.FetchedAt = parseTime(at)
		return callerErr{fn(r, &d)}.orNil()
	})
	return unwrapCaller(err, "read records with their documents")
}
