package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/harvest-archive/harvest"
)

// PageRecords calls fn for each fetched page of the walk, in the order the
// pages were found, with the URLs of the records it held.
func (db *DB) PageRecords(ctx context.Context, walkID int64, fn func(page string, records []string)) error {
	rows, err := db.db.QueryContext(ctx, `SELECT f.url, COALESCE(p.record_urls, '') FROM frontier f LEFT JOIN pages p ON p.url = f.url
		WHERE f.walk_id = ? AND f.state = 'done' ORDER BY f.seq`, walkID)
	if err != nil {
		return fmt.Errorf("read page records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u, list string
		if err := rows.Scan(&u, &list); err != nil {
			return fmt.Errorf("read page records: %w", err)
		}
		var recs []string
		if list != "" {
			recs = strings.Split(list, "\n")
		}
		fn(u, recs)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read page records: %w", err)
	}
	return nil
}

// HasPageCache reports whether any listing page's answer is kept: a first
// harvest into a database need not look each page up.
func (db *DB) HasPageCache(ctx context.Context) (bool, error) {
	var ok bool
	err := db.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pages)`).Scan(&ok)
	return ok, err
}

// PageCache returns what is kept of a listing page's last good answer.
func (db *DB) PageCache(ctx context.Context, url string) (harvest.CachedPage, bool, error) {
	p := harvest.CachedPage{URL: url}
	err := db.stmts.cache.QueryRowContext(ctx, url).Scan(&p.ETag, &p.LastModified, &p.Next, &p.Total)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("read page cache: %w", err)
	}
	return p, true, nil
}
