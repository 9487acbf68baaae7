package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/harvest-archive/harvest"
)

// Details calls fn for every record, in the order of Records, with its
// stored document page (as Documents gives it), or nil when none is stored:
// one query, one row at a time, for exports that join the two.
func (db *DB) Details(ctx context.Context, fn func(harvest.Record, *harvest.Document) error) error {
	if db.version < docsVersion {
		// A database from before document pages, read as it is.
		return db.Records(ctx, func(r harvest.Record) error { return fn(r, nil) })
	}
	err := db.each(ctx, `SELECT r.url, r.title, r.date, r.date_text, r.summary, r.listing_url, r.first_seen, r.last_seen, COALESCE(r.gone_at, ''),
		d.url IS NOT NULL, COALESCE(d.fetch_url, ''), COALESCE(d.node_id, ''), COALESCE(d.title, ''), COALESCE(d.date, ''),
		COALESCE(d.date_text, ''), COALESCE(d.summary, ''), COALESCE(d.fields, '[]'), COALESCE(d.texts, '[]'), COALESCE(d.links, '[]'),
		COALESCE(d.status, 0), COALESCE(d.fetched_at, '')
		FROM records r LEFT JOIN documents d ON d.url = r.url AND d.ok = 1 ORDER BY r.rowid`, nil, func(rows *sql.Rows) error {
		var r harvest.Record
		var d harvest.Document
		var first, last, gone, fields, texts, links, at string
		var has bool
		if err := rows.Scan(&r.URL, &r.Title, &r.Date, &r.DateText, &r.Summary, &r.ListingURL, &first, &last, &gone,
			&has, &d.FetchURL, &d.NodeID, &d.Title, &d.Date, &d.DateText, &d.Summary, &fields, &texts, &links, &d.Status, &at); err != nil {
			return err
		}
		r.FirstSeen, _ = time.Parse(time.RFC3339, first)
		r.LastSeen, _ = time.Parse(time.RFC3339, last)
		r.GoneAt, _ = time.Parse(time.RFC3339, gone)
		if !has {
			return fn(r, nil)
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
		d.FetchedAt, _ = time.Parse(time.RFC3339, at)
		return fn(r, &d)
	})
	if err != nil {
		return fmt.Errorf("read records with their documents: %w", err)
	}
	return nil
}
