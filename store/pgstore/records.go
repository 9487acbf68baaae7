package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/store"
)

// The statements of the upsert path. pgx prepares each once per connection
// and keeps it (its statement cache), so they are plain strings here.
const (
	selRecord = `SELECT title, date, date_text, summary, gone_at FROM records WHERE url = $1`
	insRecord = `INSERT INTO records (url, title, date, date_text, summary, listing_url, first_seen, last_seen, last_walk)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) ON CONFLICT (url) DO NOTHING`
	updRecord = `UPDATE records SET title = $1, date = $2, date_text = $3, summary = $4, listing_url = $5,
		last_seen = GREATEST(last_seen, $6), last_walk = $7, gone_at = NULL WHERE url = $8`
	insChange = `INSERT INTO record_changes (url, changed_at, field, old_value, new_value, listing_url, run_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`
	touchRecord = `UPDATE records SET last_seen = GREATEST(last_seen, $1), last_walk = $2, gone_at = NULL WHERE url = $3`
	markDone    = `INSERT INTO frontier (walk_id, url, seq, state, status, records, attempts, charset, invalid_bytes, updated_at, kind)
		VALUES ($1, $2, ` + nextSeq + `, 'done', $3, $4, 1, NULLIF($5::text, ''), $6, $7, $8)
		ON CONFLICT (walk_id, url) DO UPDATE SET state = 'done', kind = excluded.kind, status = excluded.status, error = NULL,
		records = excluded.records, attempts = frontier.attempts + 1, charset = COALESCE(excluded.charset, frontier.charset),
		invalid_bytes = excluded.invalid_bytes, updated_at = excluded.updated_at`
	keepPage = `INSERT INTO pages (url, etag, last_modified, next_url, total, record_urls, fetched_at, records_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, next_url = excluded.next_url,
		total = excluded.total, record_urls = excluded.record_urls, fetched_at = excluded.fetched_at, records_hash = excluded.records_hash`
)

// SavePage stores one fetched page as SavePages does.
func (db *DB) SavePage(ctx context.Context, p harvest.PageResult) (harvest.Counts, error) {
	cs, err := db.SavePages(ctx, []harvest.PageResult{p})
	if err != nil {
		return harvest.Counts{}, err
	}
	return cs[0], nil
}

// SavePages stores pages in one transaction, as the SQLite store does (see
// store.DB.SavePage): records upserted with their history, each page marked
// done, its validators kept, the pages it leads to added to the frontier.
// A transaction PostgreSQL aborts for a conflict with another worker's (two
// workers storing the same records in another order) is run again.
func (db *DB) SavePages(ctx context.Context, pages []harvest.PageResult) ([]harvest.Counts, error) {
	out := make([]harvest.Counts, len(pages))
	now := db.now()
	err := db.tx(ctx, func(tx pgx.Tx) error {
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

func (db *DB) savePage(ctx context.Context, tx pgx.Tx, p harvest.PageResult, now string) (harvest.Counts, error) {
	if !p.SeenAt.IsZero() {
		now = harvest.FormatTime(p.SeenAt)
	}
	if p.Reparsed {
		return saveReparsed(ctx, tx, p, now)
	}
	var c harvest.Counts
	var err error
	if p.NotModified {
		c, err = touchCached(ctx, tx, p, now)
	} else {
		c, err = upsert(ctx, tx, p, now)
	}
	if err != nil {
		return c, err
	}
	if _, err := tx.Exec(ctx, markDone, p.WalkID, p.URL, p.Status, c.New+c.Updated+c.Unchanged, p.Charset, p.InvalidBytes, now, kindOf(p.Kind)); err != nil {
		return c, fmt.Errorf("mark page done: %w", err)
	}
	if p.Total > 0 && db.lastTotal(p.WalkID) != p.Total {
		if _, err := tx.Exec(ctx, `UPDATE walks SET total = $1 WHERE id = $2`, p.Total, p.WalkID); err != nil {
			return c, fmt.Errorf("set total: %w", err)
		}
	}
	return c, enqueue(ctx, tx, p.WalkID, p.Enqueue, now)
}

func upsert(ctx context.Context, tx pgx.Tx, p harvest.PageResult, now string) (harvest.Counts, error) {
	var c harvest.Counts
	urls := make([]string, 0, len(p.Records))
	for _, r := range p.Records {
		urls = append(urls, r.URL)
		tag, err := tx.Exec(ctx, insRecord, r.URL, r.Title, r.Date, r.DateText, r.Summary, r.ListingURL, now, p.WalkID)
		if err != nil {
			return c, fmt.Errorf("insert %s: %w", r.URL, err)
		}
		if tag.RowsAffected() == 1 {
			c.New++
			continue
		}
		var old harvest.Record
		var gone *string
		if err := tx.QueryRow(ctx, selRecord+` FOR UPDATE`, r.URL).Scan(&old.Title, &old.Date, &old.DateText, &old.Summary, &gone); err != nil {
			return c, fmt.Errorf("read %s: %w", r.URL, err)
		}
		changed, err := recordChanges(ctx, tx, old, r, now, p.RunID)
		if err != nil {
			return c, err
		}
		if gone != nil {
			if _, err := tx.Exec(ctx, insChange, r.URL, now, "returned", *gone, "", r.ListingURL, p.RunID); err != nil {
				return c, fmt.Errorf("record return of %s: %w", r.URL, err)
			}
		}
		if changed {
			c.Updated++
		} else {
			c.Unchanged++
		}
		if _, err := tx.Exec(ctx, updRecord, r.Title, r.Date, r.DateText, r.Summary, r.ListingURL, now, p.WalkID, r.URL); err != nil {
			return c, fmt.Errorf("update %s: %w", r.URL, err)
		}
	}
	if _, err := tx.Exec(ctx, keepPage, p.URL, p.ETag, p.LastModified, p.Next, p.Total, strings.Join(urls, "\n"), now, store.RecordsHash(p)); err != nil {
		return c, fmt.Errorf("keep page: %w", err)
	}
	return c, nil
}

// touchCached marks the records a 304 page held as seen again.
func touchCached(ctx context.Context, tx pgx.Tx, p harvest.PageResult, now string) (harvest.Counts, error) {
	var c harvest.Counts
	var list string
	if err := tx.QueryRow(ctx, `SELECT record_urls FROM pages WHERE url = $1`, p.URL).Scan(&list); err != nil {
		return c, fmt.Errorf("read cached page: %w", err)
	}
	for _, u := range splitList(list) {
		tag, err := tx.Exec(ctx, touchRecord, now, p.WalkID, u)
		if err != nil {
			return c, fmt.Errorf("touch %s: %w", u, err)
		}
		if tag.RowsAffected() > 0 {
			c.Unchanged++
		}
	}
	_, err := tx.Exec(ctx, `UPDATE pages SET fetched_at = $1 WHERE url = $2`, now, p.URL)
	return c, err
}

// saveReparsed stores a page parsed again from its capture, leaving alone
// what only a fetch may say (see the SQLite store's saveReparsed).
func saveReparsed(ctx context.Context, tx pgx.Tx, p harvest.PageResult, now string) (harvest.Counts, error) {
	var c harvest.Counts
	hash := store.RecordsHash(p)
	var stored string
	err := tx.QueryRow(ctx, `SELECT records_hash FROM pages WHERE url = $1`, p.URL).Scan(&stored)
	switch {
	case err == nil && stored == hash:
		c.Unchanged = len(p.Records)
		return c, nil
	case err != nil && !errors.Is(err, pgx.ErrNoRows):
		return c, fmt.Errorf("read page %s: %w", p.URL, err)
	}
	urls := make([]string, 0, len(p.Records))
	for _, r := range p.Records {
		urls = append(urls, r.URL)
		tag, err := tx.Exec(ctx, insRecord, r.URL, r.Title, r.Date, r.DateText, r.Summary, r.ListingURL, now, p.WalkID)
		if err != nil {
			return c, fmt.Errorf("insert %s: %w", r.URL, err)
		}
		if tag.RowsAffected() == 1 {
			c.New++
			continue
		}
		var old harvest.Record
		var listingURL, lastSeen string
		if err := tx.QueryRow(ctx, `SELECT title, date, date_text, summary, listing_url, last_seen FROM records WHERE url = $1 FOR UPDATE`, r.URL).
			Scan(&old.Title, &old.Date, &old.DateText, &old.Summary, &listingURL, &lastSeen); err != nil {
			return c, fmt.Errorf("read %s: %w", r.URL, err)
		}
		if listingURL != r.ListingURL && now < lastSeen {
			c.Unchanged++ // seen since on another page: that sighting stands
			continue
		}
		changed, err := recordChanges(ctx, tx, old, r, now, p.RunID)
		if err != nil {
			return c, err
		}
		if !changed {
			c.Unchanged++
			continue
		}
		c.Updated++
		if _, err := tx.Exec(ctx, `UPDATE records SET title = $1, date = $2, date_text = $3, summary = $4, last_seen = GREATEST(last_seen, $5) WHERE url = $6`,
			r.Title, r.Date, r.DateText, r.Summary, now, r.URL); err != nil {
			return c, fmt.Errorf("update %s: %w", r.URL, err)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO pages (url, etag, last_modified, next_url, total, record_urls, fetched_at, records_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (url) DO UPDATE SET next_url = excluded.next_url, total = excluded.total, record_urls = excluded.record_urls, records_hash = excluded.records_hash`,
		p.URL, p.ETag, p.LastModified, p.Next, p.Total, strings.Join(urls, "\n"), now, hash); err != nil {
		return c, fmt.Errorf("keep page %s: %w", p.URL, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO frontier (walk_id, url, seq, state, status, records, attempts, charset, invalid_bytes, updated_at, kind)
		VALUES ($1, $2, `+nextSeq+`, 'done', $3, $4, 0, NULLIF($5::text, ''), $6, $7, $8) ON CONFLICT (walk_id, url) DO NOTHING`,
		p.WalkID, p.URL, p.Status, len(p.Records), p.Charset, p.InvalidBytes, now, kindOf(p.Kind)); err != nil {
		return c, fmt.Errorf("frontier %s: %w", p.URL, err)
	}
	return c, nil
}

// recordChanges writes a history row for each field of r that differs from
// old, and reports whether any did.
func recordChanges(ctx context.Context, tx pgx.Tx, old, r harvest.Record, now string, runID int64) (bool, error) {
	changed := false
	for _, f := range [...][3]string{{"title", old.Title, r.Title}, {"date", old.Date, r.Date}, {"date_text", old.DateText, r.DateText}, {"summary", old.Summary, r.Summary}} {
		if f[1] != f[2] {
			changed = true
			if _, err := tx.Exec(ctx, insChange, r.URL, now, f[0], f[1], f[2], r.ListingURL, runID); err != nil {
				return changed, fmt.Errorf("record change of %s: %w", r.URL, err)
			}
		}
	}
	return changed, nil
}

// Records calls fn for every stored record, in the order first stored.
func (db *DB) Records(ctx context.Context, fn func(harvest.Record) error) error {
	err := each(ctx, db.pool, `SELECT url, title, date, date_text, summary, listing_url, first_seen, last_seen, COALESCE(gone_at, '')
		FROM records ORDER BY id`, nil, func(rows pgx.Rows) error {
		var r harvest.Record
		var first, last, gone string
		if err := rows.Scan(&r.URL, &r.Title, &r.Date, &r.DateText, &r.Summary, &r.ListingURL, &first, &last, &gone); err != nil {
			return err
		}
		r.FirstSeen, r.LastSeen, r.GoneAt = parseTime(first), parseTime(last), parseTime(gone)
		return callerErr{fn(r)}.orNil()
	})
	return unwrapCaller(err, "read records")
}

// Record returns the stored record of url, if there is one.
func (db *DB) Record(ctx context.Context, url string) (harvest.Record, bool, error) {
	var r harvest.Record
	var first, last, gone string
	err := db.pool.QueryRow(ctx, `SELECT url, title, date, date_text, summary, listing_url, first_seen, last_seen, COALESCE(gone_at, '') FROM records WHERE url = $1`, url).
		Scan(&r.URL, &r.Title, &r.Date, &r.DateText, &r.Summary, &r.ListingURL, &first, &last, &gone)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read record %s: %w", url, err)
	}
	r.FirstSeen, r.LastSeen, r.GoneAt = parseTime(first), parseTime(last), parseTime(gone)
	return r, true, nil
}

// Changes calls fn for every recorded change, oldest first; with url set,
// for that record only.
func (db *DB) Changes(ctx context.Context, url string, fn func(harvest.Change) error) error {
	q := `SELECT url, changed_at, field, old_value, new_value, listing_url FROM record_changes`
	var args []any
	if url != "" {
		q += ` WHERE url = $1`
		args = append(args, url)
	}
	err := each(ctx, db.pool, q+` ORDER BY id`, args, func(rows pgx.Rows) error {
		var c harvest.Change
		var at string
		if err := rows.Scan(&c.URL, &at, &c.Field, &c.Old, &c.New, &c.ListingURL); err != nil {
			return err
		}
		c.ChangedAt = parseTime(at)
		return callerErr{fn(c)}.orNil()
	})
	return unwrapCaller(err, "read changes")
}

// callerErr carries an error of a caller's function out of each, so that it
// is returned as it is while the database's own errors get context.
type callerErr struct{ err error }

func (e callerErr) Error() string { return e.err.Error() }

func (e callerErr) orNil() error {
	if e.err == nil {
		return nil
	}
	return e
}

// unwrapCaller returns a caller's error as it is, and wraps the database's
// with what was being done.
func unwrapCaller(err error, doing string) error {
	var ce callerErr
	if errors.As(err, &ce) {
		return ce.err
	}
	if err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	return nil
}

// Count is the number of stored records.
func (db *DB) Count(ctx context.Context) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM records`).Scan(&n)
	return n, err
}

func kindOf(kind string) string {
	if kind == "" {
		return harvest.KindListing
	}
	return kind
}

func splitList(list string) []string {
	if list == "" {
		return nil
	}
	return strings.Split(list, "\n")
}
