package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/harvest-archive/harvest"
)

// FindWalk returns the unfinished full walk of startURL, if there is one.
// It only reads.
func (db *DB) FindWalk(ctx context.Context, startURL string) (harvest.Walk, bool, error) {
	w := harvest.Walk{StartURL: startURL, Kind: harvest.WalkFull}
	var total sql.NullInt64
	err := db.db.QueryRowContext(ctx, `SELECT id, total, COALESCE(listing, start_url) FROM walks
		WHERE start_url = ? AND kind = 'full' AND finished_at IS NULL ORDER BY id DESC LIMIT 1`, startURL).Scan(&w.ID, &total, &w.Listing)
	if errors.Is(err, sql.ErrNoRows) {
		return w, false, nil
	}
	if err != nil {
		return w, false, fmt.Errorf("find walk: %w", err)
	}
	w.Total = int(total.Int64)
	return w, true, nil
}

// NewWalk begins a walk of startURL whose frontier holds startURL alone.
// listing is the listing it walks (startURL without a newest-first order).
func (db *DB) NewWalk(ctx context.Context, startURL, kind, listing string) (harvest.Walk, error) {
	w := harvest.Walk{StartURL: startURL, Kind: kind, Listing: listing}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO walks (start_url, started_at, kind, listing) VALUES (?, ?, ?, ?)`, startURL, db.now(), kind, listing)
		if err != nil {
			return err
		}
		if w.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO frontier (walk_id, url, seq, state, updated_at) VALUES (?, ?, 0, 'pending', ?)`, w.ID, startURL, db.now())
		return err
	})
	if err != nil {
		return w, fmt.Errorf("start walk: %w", err)
	}
	return w, nil
}

// Pending lists the walk's pages still to fetch: those that failed before
// first, then the rest in the order they were found.
func (db *DB) Pending(ctx context.Context, walkID int64) ([]harvest.PendingPage, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT url, kind, state = 'failed', attempts FROM frontier
		WHERE walk_id = ? AND state IN ('pending', 'failed') ORDER BY state = 'failed' DESC, seq`, walkID)
	if err != nil {
		return nil, fmt.Errorf("read frontier: %w", err)
	}
	defer rows.Close()
	var out []harvest.PendingPage
	for rows.Next() {
		var p harvest.PendingPage
		if err := rows.Scan(&p.URL, &p.Kind, &p.Failed, &p.Attempts); err != nil {
			return nil, fmt.Errorf("read frontier: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read frontier: %w", err)
	}
	return out, nil
}

// Known reports whether url is in the walk's frontier, its place in the
// order pages were found, and whether it was fetched.
func (db *DB) Known(ctx context.Context, walkID int64, url string) (seq int64, done, known bool, err error) {
	var state string
	err = db.stmts.known.QueryRowContext(ctx, walkID, url).Scan(&seq, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, false, nil
	}
	if err != nil {
		return 0, false, false, fmt.Errorf("read frontier: %w", err)
	}
	return seq, state == "done", true, nil
}

// FinishWalk marks the walk done: the next run of its start URL begins anew.
func (db *DB) FinishWalk(ctx context.Context, walkID int64) error {
	_, err := db.db.ExecContext(ctx, `UPDATE walks SET finished_at = ? WHERE id = ?`, db.now(), walkID)
	if err != nil {
		return fmt.Errorf("finish walk: %w", err)
	}
	return nil
}

// WalkRecords counts the distinct records seen in the walk.
func (db *DB) WalkRecords(ctx context.Context, walkID int64) (int, error) {
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM records WHERE last_walk = ?`, walkID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count walk records: %w", err)
	}
	return n, nil
}

// MarkGone marks as gone the records that earlier walks of the same listing
// saw and this complete walk did not, and returns how many. Nothing is
// deleted; a record that comes back loses its mark.
func (db *DB) MarkGone(ctx context.Context, w harvest.Walk, runID int64) (int, error) {
	now := db.now()
	var n int
	err := db.tx(ctx, func(tx *sql.Tx) error {
		const gone = `FROM records WHERE gone_at IS NULL AND last_walk <> ?
			AND last_walk IN (SELECT id FROM walks WHERE COALESCE(listing, start_url) = ?)`
		if _, err := tx.ExecContext(ctx, `INSERT INTO record_changes (url, changed_at, field, old_value, new_value, listing_url, run_id)
			SELECT url, ?, 'gone', '', ?, listing_url, ? `+gone, now, now, runID, w.ID, w.Listing); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE records SET gone_at = ? `+strings.TrimPrefix(gone, "FROM records "), now, w.ID, w.Listing)
		if err != nil {
			return err
		}
		m, err := res.RowsAffected()
		n = int(m)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("mark gone records: %w", err)
	}
	return n, nil
}

func (db *DB) enqueue(ctx context.Context, tx *sql.Tx, walkID int64, urls []string, now string) error {
	if len(urls) == 0 {
		return nil
	}
	st := tx.StmtContext(ctx, db.stmts.enqueue)
	for _, u := range urls {
		if _, err := st.ExecContext(ctx, walkID, u, walkID, now, harvest.KindListing); err != nil {
			return fmt.Errorf("enqueue %s: %w", u, err)
		}
	}
	return nil
}

// MarkFailed records a page that failed for good in this run, with its last
// HTTP status (0 for none) and error, and adds the pages it still led to (a
// page with no records may have a pager). The next run of the walk retries
// it first. The page keeps the kind the frontier gave it.
func (db *DB) MarkFailed(ctx context.Context, walkID int64, url string, status int, cause error, enqueueURLs []string) error {
	return db.MarkFailedKind(ctx, walkID, url, "", status, cause, enqueueURLs)
}

// MarkFailedKind is MarkFailed for a page of the given kind (one of the
// harvest.Kind constants), which the frontier then holds; an empty kind keeps
// the kind the frontier has.
func (db *DB) MarkFailedKind(ctx context.Context, walkID int64, url, kind string, status int, cause error, enqueueURLs []string) error {
	now := db.now()
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE frontier SET state = 'failed', kind = COALESCE(NULLIF(?, ''), kind), status = ?, error = ?,
			attempts = attempts + 1, updated_at = ? WHERE walk_id = ? AND url = ?`,
			kind, status, msg, now, walkID, url); err != nil {
			return err
		}
		return db.enqueue(ctx, tx, walkID, enqueueURLs, now)
	})
	if err != nil {
		return fmt.Errorf("mark %s failed: %w", url, err)
	}
	return nil
}

// ListingPages calls fn for every URL of kind listing in any walk's
// frontier, with the walk it belongs to (the newest walk when several hold
// it), ordered by walk and then as the walk found them. A re-parse of
// captured pages uses it to tell listing pages from others and to know the
// walk to save each under.
func (db *DB) ListingPages(ctx context.Context, fn func(url string, walkID int64) error) error {
	listing := `WHERE kind = 'listing'`
	if db.version < 5 {
		listing = `` // a database read as it is: every page before kinds was a listing page
	}
	rows, err := db.db.QueryContext(ctx, `SELECT url, walk_id FROM (
		SELECT url, walk_id, seq, ROW_NUMBER() OVER (PARTITION BY url ORDER BY walk_id DESC) AS newest
		FROM frontier `+listing+`) WHERE newest = 1 ORDER BY walk_id, seq`)
	if err != nil {
		return fmt.Errorf("read listing pages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		var w int64
		if err := rows.Scan(&u, &w); err != nil {
			return fmt.Errorf("read listing pages: %w", err)
		}
		if err := fn(u, w); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read listing pages: %w", err)
	}
	return nil
}

// kindOf is the stored kind of a page: its own, or a listing when empty.
func kindOf(kind string) string {
	if kind == "" {
		return harvest.KindListing
	}
	return kind
}

// MarkSkipped adds a page to the walk's frontier as skipped (never fetched),
// with the reason, such as a robots.txt rule.
func (db *DB) MarkSkipped(ctx context.Context, walkID int64, url string, reason string) error {
	now := db.now()
	_, err := db.db.ExecContext(ctx, `INSERT INTO frontier (walk_id, url, seq, state, error, updated_at)
		VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM frontier WHERE walk_id = ?), 'skipped', ?, ?)
		ON CONFLICT (walk_id, url) DO UPDATE SET state = 'skipped', error = excluded.error, updated_at = excluded.updated_at`,
		walkID, url, walkID, reason, now)
	if err != nil {
		return fmt.Errorf("mark %s skipped: %w", url, err)
	}
	return nil
}

// FrontierPage is a page of a walk as the store keeps it.
type FrontierPage struct {
	URL          string
	Kind         string // one of the harvest.Kind constants
	State        string // pending, done, failed or skipped
	Status       int
	Error        string
	Records      int
	Charset      string
	InvalidBytes int
}

// Frontier lists every page of a walk, in the order found.
func (db *DB) Frontier(ctx context.Context, walkID int64) ([]FrontierPage, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT url, kind, state, COALESCE(status, 0), COALESCE(error, ''), COALESCE(records, 0),
		COALESCE(charset, ''), invalid_bytes FROM frontier WHERE walk_id = ? ORDER BY seq`, walkID)
	if err != nil {
		return nil, fmt.Errorf("read frontier: %w", err)
	}
	defer rows.Close()
	var out []FrontierPage
	for rows.Next() {
		var p FrontierPage
		if err := rows.Scan(&p.URL, &p.Kind, &p.State, &p.Status, &p.Error, &p.Records, &p.Charset, &p.InvalidBytes); err != nil {
			return nil, fmt.Errorf("read frontier: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read frontier: %w", err)
	}
	return out, nil
}

// LastWalk returns the newest walk of startURL, finished or not.
func (db *DB) LastWalk(ctx context.Context, startURL string) (harvest.Walk, error) {
	w := harvest.Walk{StartURL: startURL}
	var total sql.NullInt64
	err := db.db.QueryRowContext(ctx, `SELECT id, total FROM walks WHERE start_url = ? ORDER BY id DESC LIMIT 1`, startURL).Scan(&w.ID, &total)
	if err != nil {
		return w, fmt.Errorf("find walk of %s: %w", startURL, err)
	}
	w.Total = int(total.Int64)
	return w, nil
}
