package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/harvest-archive/harvest"
)

// FilesDue calls fn for every attachment link of every stored document page,
// in the order records were first stored and then as each page lists them,
// with its manifest row when it was downloaded before (the caller checks
// that the file is still there). The tasks are read before fn is first
// called: fn may use the store.
func (db *DB) FilesDue(ctx context.Context, fn func(harvest.FileTask) error) error {
	type key struct{ rec, url string }
	known := map[key]harvest.FileTask{}
	err := db.each(ctx, `SELECT record_url, url, label, content_type, size, sha256, attempts, COALESCE(fetched_at, '') FROM files`, nil, func(rows *sql.Rows) error {
		var t harvest.FileTask
		var at string
		e := &t.Entry
		if err := rows.Scan(&e.RecordURL, &e.URL, &e.Label, &e.ContentType, &e.Size, &e.SHA256, &t.Attempts, &at); err != nil {
			return err
		}
		e.FetchedAt, _ = time.Parse(time.RFC3339, at)
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
	err = db.each(ctx, `SELECT d.url, d.links FROM documents d JOIN records r ON r.url = d.url WHERE d.ok = 1 ORDER BY r.rowid`, nil, func(rows *sql.Rows) error {
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
				continue // a link given twice on one page is one attachment
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

// SaveFile writes the manifest row of a downloaded attachment: the file it
// names (by SHA256) is complete and verified. position is the link's place
// on its document page (harvest.FileTask.Position).
func (db *DB) SaveFile(ctx context.Context, e harvest.FileEntry, position int) error {
	at := db.now()
	if !e.FetchedAt.IsZero() {
		at = harvest.FormatTime(e.FetchedAt)
	}
	_, err := db.db.ExecContext(ctx, `INSERT INTO files (record_url, url, position, label, content_type, size, sha256, status, error, attempts, fetched_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 200, '', 0, ?)
		ON CONFLICT (record_url, url) DO UPDATE SET position = excluded.position, label = excluded.label, content_type = excluded.content_type,
		size = excluded.size, sha256 = excluded.sha256, status = 200, error = '', attempts = 0, fetched_at = excluded.fetched_at`,
		e.RecordURL, e.URL, position, e.Label, e.ContentType, e.Size, e.SHA256, at)
	if err != nil {
		return fmt.Errorf("save manifest row of %s: %w", e.URL, err)
	}
	return nil
}

// MarkFileFailed records that downloading an attachment failed, with the
// last HTTP status (0 for none) and why. A file downloaded before keeps its
// manifest row; one never downloaded gets a row without a digest, which
// Files does not list.
func (db *DB) MarkFileFailed(ctx context.Context, t harvest.FileTask, status int, cause error) error {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	_, err := db.db.ExecContext(ctx, `INSERT INTO files (record_url, url, position, label, status, error, attempts)
		VALUES (?, ?, ?, ?, ?, ?, 1)
		ON CONFLICT (record_url, url) DO UPDATE SET status = excluded.status, error = excluded.error, attempts = attempts + 1`,
		t.RecordURL, t.URL, t.Position, t.Label, status, msg)
	if err != nil {
		return fmt.Errorf("record failed download of %s: %w", t.URL, err)
	}
	return nil
}

// Files calls fn for every downloaded attachment in the manifest, in the
// order their records were first stored (as Records) and then as each page
// lists them, reading one row at a time.
func (db *DB) Files(ctx context.Context, fn func(harvest.FileEntry) error) error {
	if db.version < docsVersion {
		return nil // a database from before attachments, read as it is
	}
	err := db.each(ctx, `SELECT f.record_url, f.url, f.label, f.content_type, f.size, f.sha256, COALESCE(f.fetched_at, '')
		FROM files f LEFT JOIN records r ON r.url = f.record_url WHERE f.sha256 <> '' ORDER BY r.rowid, f.position, f.rowid`, nil, func(rows *sql.Rows) error {
		var e harvest.FileEntry
		var at string
		if err := rows.Scan(&e.RecordURL, &e.URL, &e.Label, &e.ContentType, &e.Size, &e.SHA256, &at); err != nil {
			return err
		}
		e.FetchedAt, _ = time.Parse(time.RFC3339, at)
		return fn(e)
	})
	if err != nil {
		return fmt.Errorf("read files manifest: %w", err)
	}
	return nil
}
