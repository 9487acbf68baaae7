package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/harvest-archive/harvest"
)

// docsVersion is the schema version that has the documents and files
// tables: an older database, read as it is, has none.
const docsVersion = 8

// DocumentsDue calls fn, in the order records were first stored, for every
// listed record (not gone) whose document page is to be fetched: none
// stored, the last fetch failed, or the page stored was fetched for a
// listing row (harvest.ListingHash) other than the record's now. With all,
// also every other record whose page walk walkID has not fetched yet
// (--details=all, resumable). The tasks are read before fn is first called:
// fn may use the store.
func (db *DB) DocumentsDue(ctx context.Context, walkID int64, all bool, fn func(harvest.DocumentTask) error) error {
	var due []harvest.DocumentTask
	err := db.each(ctx, `SELECT r.url, r.title, r.date, r.date_text, r.summary, COALESCE(d.ok, 0), COALESCE(d.error, ''),
		COALESCE(d.listing_hash, ''), COALESCE(d.etag, ''), COALESCE(d.last_modified, ''), COALESCE(d.walk_id, 0), COALESCE(d.attempts, 0)
		FROM records r LEFT JOIN documents d ON d.url = r.url WHERE r.gone_at IS NULL ORDER BY r.rowid`, nil, func(rows *sql.Rows) error {
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
				// The listing row changed: the stored page is not asked
				// for conditionally (it may be the same page, and still
				// say something new of the record).
				t.ETag, t.LastModified = "", ""
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

// SaveDocuments stores fetched document pages in one transaction (the
// documents table is their frontier: a page is stored and marked fetched at
// once, or not at all). A page replaces what was stored of its record; a 304
// answer keeps it and notes the fetch; a failure (Err set) keeps it too and
// records the status and error, so the record stays due for the next run.
func (db *DB) SaveDocuments(ctx context.Context, docs []harvest.DocumentResult) error {
	now := db.now()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var changed []harvest.Document // pages whose search details change
		var stale []string             // of those, the ones with terms stored
		for _, r := range docs {
			d := r.Document
			var err error
			switch {
			case r.Err != nil:
				_, err = tx.ExecContext(ctx, `INSERT INTO documents (url, status, error, attempts) VALUES (?, ?, ?, 1)
					ON CONFLICT (url) DO UPDATE SET status = excluded.status, error = excluded.error, attempts = attempts + 1`,
					d.URL, d.Status, r.Err.Error())
			case r.NotModified:
				_, err = tx.ExecContext(ctx, `UPDATE documents SET status = ?, error = '', attempts = 0, listing_hash = ?, walk_id = ?, fetched_at = ?,
					etag = COALESCE(NULLIF(?, ''), etag), last_modified = COALESCE(NULLIF(?, ''), last_modified) WHERE url = ?`,
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
				// What the search index holds of the page changes only
				// when its description, fields or texts do.
				var ok int
				var oldSummary, oldFields, oldTexts string
				err = tx.StmtContext(ctx, db.stmts.docIndexed).QueryRowContext(ctx, d.URL).Scan(&ok, &oldSummary, &oldFields, &oldTexts)
				fresh := errors.Is(err, sql.ErrNoRows) || (err == nil && ok == 0)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					break
				}
				same := !fresh && oldSummary == d.Summary && oldFields == string(fields) && oldTexts == string(texts)
				_, err = tx.StmtContext(ctx, db.stmts.docSave).ExecContext(ctx,
					d.URL, d.FetchURL, d.NodeID, d.Title, d.Date, d.DateText, d.Summary, string(fields), string(texts), string(links),
					d.Status, r.ETag, r.LastModified, r.ListingHash, r.WalkID, at)
				if err == nil && !same {
					changed = append(changed, d)
					if !fresh {
						stale = append(stale, d.URL)
					}
				}
			}
			if err != nil {
				return fmt.Errorf("save document %s: %w", d.URL, err)
			}
		}
		return db.index(ctx, tx, changed, stale)
	})
	return err
}

// saveDocumentSQL stores a fetched document page (SaveDocuments); prepared
// once, at Open.
const saveDocumentSQL = `INSERT INTO documents (url, fetch_url, node_id, title, date, date_text, summary, fields, texts, links,
	ok, status, error, attempts, etag, last_modified, listing_hash, walk_id, fetched_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, '', 0, ?, ?, ?, ?, ?)
	ON CONFLICT (url) DO UPDATE SET fetch_url = excluded.fetch_url, node_id = excluded.node_id, title = excluded.title,
	date = excluded.date, date_text = excluded.date_text, summary = excluded.summary, fields = excluded.fields,
	texts = excluded.texts, links = excluded.links, ok = 1, status = excluded.status, error = '', attempts = 0,
	etag = excluded.etag, last_modified = excluded.last_modified, listing_hash = excluded.listing_hash,
	walk_id = excluded.walk_id, fetched_at = excluded.fetched_at`

// jsonOf encodes v, an empty slice as [].
func jsonOf[T any](v []T) ([]byte, error) {
	if v == nil {
		v = []T{}
	}
	return json.Marshal(v)
}

// Documents calls fn for every stored document page, in the order their
// records were first stored (as Records), reading one row at a time. A
// record whose page was never stored has none; one whose last fetch failed
// has the page stored before, with that fetch's Status.
func (db *DB) Documents(ctx context.Context, fn func(harvest.Document) error) error {
	if db.version < docsVersion {
		return nil // a database from before document pages, read as it is
	}
	err := db.each(ctx, `SELECT d.url, d.fetch_url, d.node_id, d.title, d.date, d.date_text, d.summary, d.fields, d.texts, d.links,
		d.status, COALESCE(d.fetched_at, '') FROM documents d JOIN records r ON r.url = d.url WHERE d.ok = 1 ORDER BY r.rowid`, nil, func(rows *sql.Rows) error {
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
		// Empty lists read back as none, as they were given.
		if len(d.Fields) == 0 {
			d.Fields = nil
		}
		if len(d.Texts) == 0 {
			d.Texts = nil
		}
		if len(d.Links) == 0 {
			d.Links = nil
		}
		d.FetchedAt, _ = time.Parse(time.RFC3339, at)
		return fn(d)
	})
	if err != nil {
		return fmt.Errorf("read documents: %w", err)
	}
	return nil
}
