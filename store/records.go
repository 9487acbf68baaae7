package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/harvest-archive/harvest"
)

// SavePage stores a fetched page in one transaction: its records upserted
// (one row per URL; last_seen and listing_url moved on, a change of title,
// date or summary kept in record_changes), the page marked done, its
// validators and contents kept for conditional requests, and the pages it
// leads to added to the frontier. A crash leaves either all of it or none.
//
// A NotModified page touches the records the page held when last fetched.
func (db *DB) SavePage(ctx context.Context, p harvest.PageResult) (harvest.Counts, error) {
	cs, err := db.SavePages(ctx, []harvest.PageResult{p})
	if err != nil {
		return harvest.Counts{}, err
	}
	return cs[0], nil
}

// SavePages stores several pages as SavePage does, in one transaction (a
// group commit), and returns each page's counts.
func (db *DB) SavePages(ctx context.Context, pages []harvest.PageResult) ([]harvest.Counts, error) {
	out := make([]harvest.Counts, len(pages))
	now := db.now()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		for i, p := range pages {
			c, err := db.savePage(ctx, tx, p, now)
			if err != nil {
				return fmt.Errorf("save page %s: %w", p.URL, err)
			}
			out[i] = c
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	db.setTotals(pages)
	return out, nil
}

func (db *DB) savePage(ctx context.Context, tx *sql.Tx, p harvest.PageResult, now string) (harvest.Counts, error) {
	if !p.SeenAt.IsZero() {
		now = harvest.FormatTime(p.SeenAt)
	}
	var c harvest.Counts
	var err error
	if p.Reparsed {
		return db.saveReparsed(ctx, tx, p, now)
	}
	if p.NotModified {
		c, err = db.touchCached(ctx, tx, p, now)
	} else {
		c, err = db.upsert(ctx, tx, p, now)
	}
	if err != nil {
		return c, err
	}
	// Marked done; a page fetched again to repair drift may be new to the frontier.
	if _, err := tx.StmtContext(ctx, db.stmts.done).ExecContext(ctx,
		p.WalkID, p.URL, p.WalkID, p.Status, c.New+c.Updated+c.Unchanged, p.Charset, p.InvalidBytes, now, kindOf(p.Kind)); err != nil {
		return c, fmt.Errorf("mark page done: %w", err)
	}
	if p.Total > 0 && db.lastTotal(p.WalkID) != p.Total {
		if _, err := tx.ExecContext(ctx, `UPDATE walks SET total = ? WHERE id = ?`, p.Total, p.WalkID); err != nil {
			return c, fmt.Errorf("set total: %w", err)
		}
	}
	return c, db.enqueue(ctx, tx, p.WalkID, p.Enqueue, now)
}

func (db *DB) upsert(ctx context.Context, tx *sql.Tx, p harvest.PageResult, now string) (harvest.Counts, error) {
	var c harvest.Counts
	sel := tx.StmtContext(ctx, db.stmts.sel)
	ins := tx.StmtContext(ctx, db.stmts.ins)
	upd := tx.StmtContext(ctx, db.stmts.upd)
	chg := tx.StmtContext(ctx, db.stmts.chg)
	urls := make([]string, 0, len(p.Records))
	for _, r := range p.Records {
		urls = append(urls, r.URL)
		res, err := ins.ExecContext(ctx, r.URL, r.Title, r.Date, r.DateText, r.Summary, r.ListingURL, now, now, p.WalkID)
		if err != nil {
			return c, fmt.Errorf("insert %s: %w", r.URL, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			c.New++
			continue
		}
		var old harvest.Record
		var gone sql.NullString
		if err := sel.QueryRowContext(ctx, r.URL).Scan(&old.Title, &old.Date, &old.DateText, &old.Summary, &gone); err != nil {
			return c, fmt.Errorf("read %s: %w", r.URL, err)
		}
		changed, err := recordChanges(ctx, chg, old, r, now, p.RunID)
		if err != nil {
			return c, err
		}
		if gone.Valid {
			if _, err := chg.ExecContext(ctx, r.URL, now, "returned", gone.String, "", r.ListingURL, p.RunID); err != nil {
				return c, fmt.Errorf("record return of %s: %w", r.URL, err)
			}
		}
		if changed {
			c.Updated++
		} else {
			c.Unchanged++
		}
		if _, err := upd.ExecContext(ctx, r.Title, r.Date, r.DateText, r.Summary, r.ListingURL, now, p.WalkID, r.URL); err != nil {
			return c, fmt.Errorf("update %s: %w", r.URL, err)
		}
	}
	_, err := tx.StmtContext(ctx, db.stmts.keep).ExecContext(ctx, p.URL, p.ETag, p.LastModified, p.Next, p.Total, strings.Join(urls, "\n"), now, recordsHash(p))
	if err != nil {
		return c, fmt.Errorf("keep page: %w", err)
	}
	return c, nil
}

// touchCached marks the records a 304 page held as seen again.
func (db *DB) touchCached(ctx context.Context, tx *sql.Tx, p harvest.PageResult, now string) (harvest.Counts, error) {
	var c harvest.Counts
	var list string
	if err := tx.QueryRowContext(ctx, `SELECT record_urls FROM pages WHERE url = ?`, p.URL).Scan(&list); err != nil {
		return c, fmt.Errorf("read cached page: %w", err)
	}
	touch := tx.StmtContext(ctx, db.stmts.touch)
	for _, u := range strings.Split(list, "\n") {
		if u == "" {
			continue
		}
		res, err := touch.ExecContext(ctx, now, p.WalkID, u)
		if err != nil {
			return c, fmt.Errorf("touch %s: %w", u, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			c.Unchanged++
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE pages SET fetched_at = ? WHERE url = ?`, now, p.URL)
	return c, err
}

// Records calls fn for every stored record, in the order they were first
// stored, reading one row at a time.
func (db *DB) Records(ctx context.Context, fn func(harvest.Record) error) error {
	rows, err := db.db.QueryContext(ctx, `SELECT url, title, date, date_text, summary, listing_url, first_seen, last_seen, COALESCE(gone_at, '') FROM records ORDER BY rowid`)
	if err != nil {
		return fmt.Errorf("read records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r harvest.Record
		var first, last, gone string
		if err := rows.Scan(&r.URL, &r.Title, &r.Date, &r.DateText, &r.Summary, &r.ListingURL, &first, &last, &gone); err != nil {
			return fmt.Errorf("read records: %w", err)
		}
		r.FirstSeen, _ = time.Parse(time.RFC3339, first)
		r.LastSeen, _ = time.Parse(time.RFC3339, last)
		r.GoneAt, _ = time.Parse(time.RFC3339, gone)
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read records: %w", err)
	}
	return nil
}

// Record returns the stored record of url (canonical, as stored), and
// whether there is one.
func (db *DB) Record(ctx context.Context, url string) (harvest.Record, bool, error) {
	var r harvest.Record
	var first, last, gone string
	err := db.db.QueryRowContext(ctx, `SELECT url, title, date, date_text, summary, listing_url, first_seen, last_seen, COALESCE(gone_at, '') FROM records WHERE url = ?`, url).
		Scan(&r.URL, &r.Title, &r.Date, &r.DateText, &r.Summary, &r.ListingURL, &first, &last, &gone)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read record %s: %w", url, err)
	}
	r.FirstSeen, _ = time.Parse(time.RFC3339, first)
	r.LastSeen, _ = time.Parse(time.RFC3339, last)
	r.GoneAt, _ = time.Parse(time.RFC3339, gone)
	return r, true, nil
}

// Changes calls fn for every recorded change, oldest first; with url set,
// for that record only.
func (db *DB) Changes(ctx context.Context, url string, fn func(harvest.Change) error) error {
	q := `SELECT url, changed_at, field, old_value, new_value, listing_url FROM record_changes`
	args := []any{}
	if url != "" {
		q += ` WHERE url = ?`
		args = append(args, url)
	}
	rows, err := db.db.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("read changes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c harvest.Change
		var at string
		if err := rows.Scan(&c.URL, &at, &c.Field, &c.Old, &c.New, &c.ListingURL); err != nil {
			return fmt.Errorf("read changes: %w", err)
		}
		c.ChangedAt, _ = time.Parse(time.RFC3339, at)
		if err := fn(c); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read changes: %w", err)
	}
	return nil
}

// Count is the number of stored records.
func (db *DB) Count(ctx context.Context) (int, error) {
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM records`).Scan(&n)
	return n, err
}

// RecordsHash is the digest the store keeps of what a listing page held
// (pages.records_hash): a page re-parsed into the same digest needs no
// writes. Every backend keeps the same digest, so that a harvest copied from
// one to the other keeps it.
func RecordsHash(p harvest.PageResult) string { return recordsHash(p) }

// recordsHash is a digest of what a page held: its records' fields, in
// order, its next link and total, and how it was decoded.
func recordsHash(p harvest.PageResult) string {
	h := sha256.New()
	for _, r := range p.Records {
		for _, f := range [...]string{r.URL, r.Title, r.Date, r.DateText, r.Summary} {
			h.Write([]byte(f))
			h.Write([]byte{0})
		}
		h.Write([]byte{1})
	}
	fmt.Fprintf(h, "%s\x00%d\x00%s\x00%d", p.Next, p.Total, p.Charset, p.InvalidBytes)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// recordChanges writes a history row for each field of r that differs from
// old, seen at now on r's listing page, and reports whether any did.
func recordChanges(ctx context.Context, chg *sql.Stmt, old, r harvest.Record, now string, runID int64) (bool, error) {
	changed := false
	for _, f := range [...][3]string{{"title", old.Title, r.Title}, {"date", old.Date, r.Date}, {"date_text", old.DateText, r.DateText}, {"summary", old.Summary, r.Summary}} {
		if f[1] != f[2] {
			changed = true
			if _, err := chg.ExecContext(ctx, r.URL, now, f[0], f[1], f[2], r.ListingURL, runID); err != nil {
				return changed, fmt.Errorf("record change of %s: %w", r.URL, err)
			}
		}
	}
	return changed, nil
}
