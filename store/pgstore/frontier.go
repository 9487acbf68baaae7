package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/store"
)

// nextSeq is the place of a page new to walk $1's frontier.
const nextSeq = `(SELECT COALESCE(MAX(seq), 0) + 1 FROM frontier WHERE walk_id = $1)`

// FindWalk returns the unfinished full walk of startURL, if there is one.
func (db *DB) FindWalk(ctx context.Context, startURL string) (harvest.Walk, bool, error) {
	w := harvest.Walk{StartURL: startURL, Kind: harvest.WalkFull}
	var total *int64
	err := db.pool.QueryRow(ctx, `SELECT id, total, COALESCE(listing, start_url) FROM walks
		WHERE start_url = $1 AND kind = 'full' AND finished_at IS NULL ORDER BY id DESC LIMIT 1`, startURL).Scan(&w.ID, &total, &w.Listing)
	if errors.Is(err, pgx.ErrNoRows) {
		return w, false, nil
	}
	if err != nil {
		return w, false, fmt.Errorf("find walk: %w", err)
	}
	if total != nil {
		w.Total = int(*total)
	}
	return w, true, nil
}

// NewWalk begins a walk of startURL whose frontier holds startURL alone.
func (db *DB) NewWalk(ctx context.Context, startURL, kind, listing string) (harvest.Walk, error) {
	w := harvest.Walk{StartURL: startURL, Kind: kind, Listing: listing}
	now := db.now()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO walks (start_url, started_at, kind, listing) VALUES ($1, $2, $3, $4) RETURNING id`,
			startURL, now, kind, listing).Scan(&w.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO frontier (walk_id, url, seq, state, updated_at) VALUES ($1, $2, 0, 'pending', $3)`, w.ID, startURL, now)
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
	var out []harvest.PendingPage
	err := each(ctx, db.pool, `SELECT url, kind, state = 'failed', attempts FROM frontier
		WHERE walk_id = $1 AND state IN ('pending', 'failed') ORDER BY state = 'failed' DESC, seq`, []any{walkID}, func(r pgx.Rows) error {
		var p harvest.PendingPage
		if err := r.Scan(&p.URL, &p.Kind, &p.Failed, &p.Attempts); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read frontier: %w", err)
	}
	return out, nil
}

// Known reports whether url is in the walk's frontier, its place in the
// order pages were found, and whether it was fetched.
func (db *DB) Known(ctx context.Context, walkID int64, url string) (seq int64, done, known bool, err error) {
	var state string
	err = db.pool.QueryRow(ctx, `SELECT seq, state FROM frontier WHERE walk_id = $1 AND url = $2`, walkID, url).Scan(&seq, &state)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, false, nil
	}
	if err != nil {
		return 0, false, false, fmt.Errorf("read frontier: %w", err)
	}
	return seq, state == "done", true, nil
}

// FinishWalk marks the walk done: the next run of its start URL begins anew.
func (db *DB) FinishWalk(ctx context.Context, walkID int64) error {
	if _, err := db.exec(ctx, `UPDATE walks SET finished_at = $1 WHERE id = $2`, db.now(), walkID); err != nil {
		return fmt.Errorf("finish walk: %w", err)
	}
	return nil
}

// WalkRecords counts the distinct records seen in the walk.
func (db *DB) WalkRecords(ctx context.Context, walkID int64) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM records WHERE last_walk = $1`, walkID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count walk records: %w", err)
	}
	return n, nil
}

// MarkGone marks as gone the records that earlier walks of the same listing
// saw and this complete walk did not, and returns how many.
func (db *DB) MarkGone(ctx context.Context, w harvest.Walk, runID int64) (int, error) {
	now := db.now()
	var n int
	err := db.tx(ctx, func(tx pgx.Tx) error {
		const gone = ` WHERE gone_at IS NULL AND last_walk <> $1
			AND last_walk IN (SELECT id FROM walks WHERE COALESCE(listing, start_url) = $2)`
		if _, err := tx.Exec(ctx, `INSERT INTO record_changes (url, changed_at, field, old_value, new_value, listing_url, run_id)
			SELECT url, $3, 'gone', '', $3, listing_url, $4::bigint FROM records`+gone+` ORDER BY id`, w.ID, w.Listing, now, runID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE records SET gone_at = $3`+gone, w.ID, w.Listing, now)
		n = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("mark gone records: %w", err)
	}
	return n, nil
}

func enqueue(ctx context.Context, tx pgx.Tx, walkID int64, urls []string, now string) error {
	for _, u := range urls {
		if _, err := tx.Exec(ctx, `INSERT INTO frontier (walk_id, url, seq, state, updated_at, kind)
			VALUES ($1, $2, `+nextSeq+`, 'pending', $3, $4) ON CONFLICT (walk_id, url) DO NOTHING`,
			walkID, u, now, harvest.KindListing); err != nil {
			return fmt.Errorf("enqueue %s: %w", u, err)
		}
	}
	return nil
}

// MarkFailed records a page that failed for good in this run; see
// store.DB.MarkFailed.
func (db *DB) MarkFailed(ctx context.Context, walkID int64, url string, status int, cause error, enqueueURLs []string) error {
	return db.MarkFailedKind(ctx, walkID, url, "", status, cause, enqueueURLs)
}

// MarkFailedKind is MarkFailed for a page of the given kind; an empty kind
// keeps the kind the frontier has.
func (db *DB) MarkFailedKind(ctx context.Context, walkID int64, url, kind string, status int, cause error, enqueueURLs []string) error {
	now := db.now()
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE frontier SET state = 'failed', kind = COALESCE(NULLIF($1::text, ''), kind), status = $2, error = $3,
			attempts = attempts + 1, updated_at = $4 WHERE walk_id = $5 AND url = $6`,
			kind, status, msg, now, walkID, url); err != nil {
			return err
		}
		return enqueue(ctx, tx, walkID, enqueueURLs, now)
	})
	if err != nil {
		return fmt.Errorf("mark %s failed: %w", url, err)
	}
	return nil
}

// MarkSkipped adds a page to the walk's frontier as skipped (never fetched),
// with the reason.
func (db *DB) MarkSkipped(ctx context.Context, walkID int64, url, reason string) error {
	_, err := db.exec(ctx, `INSERT INTO frontier (walk_id, url, seq, state, error, updated_at)
		VALUES ($1, $2, `+nextSeq+`, 'skipped', $3, $4)
		ON CONFLICT (walk_id, url) DO UPDATE SET state = 'skipped', error = excluded.error, updated_at = excluded.updated_at`,
		walkID, url, reason, db.now())
	if err != nil {
		return fmt.Errorf("mark %s skipped: %w", url, err)
	}
	return nil
}

// ListingPages calls fn for every URL of kind listing in any walk's
// frontier, with the newest walk holding it, ordered by walk and then as the
// walk found them.
func (db *DB) ListingPages(ctx context.Context, fn func(url string, walkID int64) error) error {
	type page struct {
		url  string
		walk int64
	}
	var pages []page
	err := each(ctx, db.pool, `SELECT url, walk_id FROM (
		SELECT url, walk_id, seq, ROW_NUMBER() OVER (PARTITION BY url ORDER BY walk_id DESC) AS newest
		FROM frontier WHERE kind = 'listing') AS f WHERE newest = 1 ORDER BY walk_id, seq`, nil, func(r pgx.Rows) error {
		var p page
		if err := r.Scan(&p.url, &p.walk); err != nil {
			return err
		}
		pages = append(pages, p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read listing pages: %w", err)
	}
	// fn may write (a re-parse stores each page): the rows are read first,
	// so that it does not wait on a connection this query holds.
	for _, p := range pages {
		if err := fn(p.url, p.walk); err != nil {
			return err
		}
	}
	return nil
}

// Frontier lists every page of a walk, in the order found.
func (db *DB) Frontier(ctx context.Context, walkID int64) ([]store.FrontierPage, error) {
	var out []store.FrontierPage
	err := each(ctx, db.pool, `SELECT url, kind, state, COALESCE(status, 0), COALESCE(error, ''), COALESCE(records, 0),
		COALESCE(charset, ''), invalid_bytes FROM frontier WHERE walk_id = $1 ORDER BY seq`, []any{walkID}, func(r pgx.Rows) error {
		var p store.FrontierPage
		if err := r.Scan(&p.URL, &p.Kind, &p.State, &p.Status, &p.Error, &p.Records, &p.Charset, &p.InvalidBytes); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read frontier: %w", err)
	}
	return out, nil
}

// LastWalk returns the newest walk of startURL, finished or not.
func (db *DB) LastWalk(ctx context.Context, startURL string) (harvest.Walk, error) {
	w := harvest.Walk{StartURL: startURL}
	var total *int64
	err := db.pool.QueryRow(ctx, `SELECT id, total FROM walks WHERE start_url = $1 ORDER BY id DESC LIMIT 1`, startURL).Scan(&w.ID, &total)
	if err != nil {
		return w, fmt.Errorf("find walk of %s: %w", startURL, err)
	}
	if total != nil {
		w.Total = int(*total)
	}
	return w, nil
}

// PageRecords calls fn for each fetched page of the walk, in the order the
// pages were found, with the URLs of the records it held.
func (db *DB) PageRecords(ctx context.Context, walkID int64, fn func(page string, records []string)) error {
	err := each(ctx, db.pool, `SELECT f.url, COALESCE(p.record_urls, '') FROM frontier f LEFT JOIN pages p ON p.url = f.url
		WHERE f.walk_id = $1 AND f.state = 'done' ORDER BY f.seq`, []any{walkID}, func(r pgx.Rows) error {
		var u, list string
		if err := r.Scan(&u, &list); err != nil {
			return err
		}
		fn(u, splitList(list))
		return nil
	})
	if err != nil {
		return fmt.Errorf("read page records: %w", err)
	}
	return nil
}

// HasPageCache reports whether any listing page's answer is kept.
func (db *DB) HasPageCache(ctx context.Context) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pages)`).Scan(&ok)
	return ok, err
}

// PageCache returns what is kept of a listing page's last good answer.
func (db *DB) PageCache(ctx context.Context, url string) (harvest.CachedPage, bool, error) {
	p := harvest.CachedPage{URL: url}
	err := db.pool.QueryRow(ctx, `SELECT etag, last_modified, next_url, total FROM pages WHERE url = $1`, url).
		Scan(&p.ETag, &p.LastModified, &p.Next, &p.Total)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("read page cache: %w", err)
	}
	return p, true, nil
}
