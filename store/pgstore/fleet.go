package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/harvest-archive/harvest"
)

// The fleet: several crawl processes, on one machine or many, crawling the
// same walk. Each page is leased to one worker while it fetches it (the
// database's clock says when a lease runs out, so that workers' clocks need
// not agree); a worker that dies loses its leases when they run out, and the
// others take its pages up. The crawler uses these methods when its store
// has them (crawler.Fleet).

// worker names this process in leases: host, process id and a random part.
func workerName() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Worker is the name this process's leases carry.
func (db *DB) Worker() string { return db.worker }

// leaseUntil is the SQL of a lease's end, $n milliseconds from now.
func leaseUntil(n int) string {
	return fmt.Sprintf(`clock_timestamp() + $%d * interval '1 millisecond'`, n)
}

// JoinWalk finds the unfinished full walk of startURL or, when there is
// none, begins one whose first page is leased to this worker, at once: two
// workers starting together share one walk. joined reports an existing walk;
// a walk that finished after since (when this worker began) is joined too:
// the worker came late and finds nothing left, rather than beginning again.
func (db *DB) JoinWalk(ctx context.Context, startURL, listing string, lease time.Duration, since time.Time) (w harvest.Walk, joined bool, err error) {
	err = db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('harvest:walk:' || current_schema() || $1))`, startURL); err != nil {
			return err
		}
		w = harvest.Walk{StartURL: startURL, Kind: harvest.WalkFull, Listing: listing}
		var total *int64
		err := tx.QueryRow(ctx, `SELECT id, total, COALESCE(listing, start_url) FROM walks
			WHERE start_url = $1 AND kind = 'full' AND finished_at IS NULL ORDER BY id DESC LIMIT 1`, startURL).Scan(&w.ID, &total, &w.Listing)
		if err == nil {
			joined = true
			if total != nil {
				w.Total = int(*total)
			}
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		// A walk the fleet finished since this worker began is this
		// worker's too (it came late): it is joined, not begun again.
		var fin string
		err = tx.QueryRow(ctx, `SELECT id, total, COALESCE(listing, start_url), finished_at FROM walks
			WHERE start_url = $1 AND kind = 'full' AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1`, startURL).Scan(&w.ID, &total, &w.Listing, &fin)
		if err == nil && !since.IsZero() && parseTime(fin).After(since) {
			joined = true
			return nil
		}
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		w = harvest.Walk{StartURL: startURL, Kind: harvest.WalkFull, Listing: listing}
		now := db.now()
		if err := tx.QueryRow(ctx, `INSERT INTO walks (start_url, started_at, kind, listing) VALUES ($1, $2, 'full', $3) RETURNING id`,
			startURL, now, listing).Scan(&w.ID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO frontier (walk_id, url, seq, state, updated_at, lease_owner, lease_until)
			VALUES ($1, $2, 0, 'pending', $3, $4, `+leaseUntil(5)+`)`, w.ID, startURL, now, db.worker, lease.Milliseconds())
		return err
	})
	if err != nil {
		return w, false, fmt.Errorf("join walk of %s: %w", startURL, err)
	}
	return w, joined, nil
}

// Claim leases the page url of the walk to this worker for lease, adding it
// to the frontier when new. It is false when the page is done, or another
// worker's lease on it holds: then this worker leaves it alone. This
// worker's own lease is renewed.
func (db *DB) Claim(ctx context.Context, walkID int64, url, kind string, lease time.Duration) (bool, error) {
	rows, err := db.pool.Query(ctx, `INSERT INTO frontier (walk_id, url, seq, state, updated_at, kind, lease_owner, lease_until)
		VALUES ($1, $2, `+nextSeq+`, 'pending', $3, $4, $5, `+leaseUntil(6)+`)
		ON CONFLICT (walk_id, url) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
		WHERE frontier.state IN ('pending', 'failed')
		AND (frontier.lease_until IS NULL OR frontier.lease_until < clock_timestamp() OR frontier.lease_owner = excluded.lease_owner)
		RETURNING 1`, walkID, url, db.now(), kindOf(kind), db.worker, lease.Milliseconds())
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", url, err)
	}
	defer rows.Close()
	ok := rows.Next()
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("claim %s: %w", url, err)
	}
	return ok, nil
}

// ClaimPending leases to this worker up to n pending pages of the walk that
// no lease holds (none, or run out), in the order found: those of a worker
// that died, and those no worker has taken yet. Rows another worker is
// claiming at the same moment are skipped (FOR UPDATE SKIP LOCKED), not
// waited for. leased is how many pending pages live leases still hold
// (this worker's included): while there are some, the walk is not over.
func (db *DB) ClaimPending(ctx context.Context, walkID int64, n int, lease time.Duration) (pages []harvest.PendingPage, leased int, err error) {
	err = db.tx(ctx, func(tx pgx.Tx) error {
		pages = pages[:0]
		err := each(ctx, tx, `WITH free AS (
				SELECT url FROM frontier WHERE walk_id = $1 AND state = 'pending'
				AND (lease_until IS NULL OR lease_until < clock_timestamp())
				ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)
			UPDATE frontier f SET lease_owner = $3, lease_until = `+leaseUntil(4)+`
			FROM free WHERE f.walk_id = $1 AND f.url = free.url
			RETURNING f.url, f.kind, f.attempts, f.seq`, []any{walkID, n, db.worker, lease.Milliseconds()}, func(r pgx.Rows) error {
			var p harvest.PendingPage
			var seq int64
			if err := r.Scan(&p.URL, &p.Kind, &p.Attempts, &seq); err != nil {
				return err
			}
			pages = append(pages, p)
			return nil
		})
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM frontier WHERE walk_id = $1 AND state = 'pending' AND lease_until >= clock_timestamp()`,
			walkID).Scan(&leased)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("claim pending pages: %w", err)
	}
	return pages, leased, nil
}

// RenewLeases moves on, to lease from now, every lease this worker holds on
// the walk's pending pages: a live worker's leases never run out, however
// long its pages wait for the host's turn; a dead worker's, renewed no more,
// run out within lease.
func (db *DB) RenewLeases(ctx context.Context, walkID int64, lease time.Duration) error {
	_, err := db.exec(ctx, `UPDATE frontier SET lease_until = `+leaseUntil(3)+`
		WHERE walk_id = $1 AND lease_owner = $2 AND state = 'pending'`, walkID, db.worker, lease.Milliseconds())
	if err != nil {
		return fmt.Errorf("renew leases: %w", err)
	}
	return nil
}

// Unfinished counts the walk's pages that failed or were skipped: a walk
// with any is not complete, whichever worker met them.
func (db *DB) Unfinished(ctx context.Context, walkID int64) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM frontier WHERE walk_id = $1 AND state IN ('failed', 'skipped')`, walkID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count failed pages: %w", err)
	}
	return n, nil
}

// ReleaseLeases gives up this worker's leases on the walk's pending pages
// (a worker stopping early), so that the others need not wait for them to
// run out.
func (db *DB) ReleaseLeases(ctx context.Context, walkID int64) error {
	_, err := db.exec(ctx, `UPDATE frontier SET lease_owner = NULL, lease_until = NULL
		WHERE walk_id = $1 AND lease_owner = $2 AND state = 'pending'`, walkID, db.worker)
	if err != nil {
		return fmt.Errorf("release leases: %w", err)
	}
	return nil
}

// FinishLock makes this worker the one that finishes the walk (the drift
// repair, the gone marks, the walk's end): it is false when another worker
// is finishing it or has finished it. unlock frees it once done.
func (db *DB) FinishLock(ctx context.Context, walkID int64) (unlock func(), ok bool, err error) {
	c, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("finish lock: %w", err)
	}
	const key = `hashtext('harvest:finish:' || current_schema() || $1::text)`
	id := strconv.FormatInt(walkID, 10)
	if err := c.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+key+`)`, id).Scan(&ok); err != nil || !ok {
		c.Release()
		return nil, false, err
	}
	unlock = func() {
		_, _ = c.Exec(context.Background(), `SELECT pg_advisory_unlock(`+key+`)`, id)
		c.Release()
	}
	var open bool
	if err := c.QueryRow(ctx, `SELECT finished_at IS NULL FROM walks WHERE id = $1`, walkID).Scan(&open); err != nil || !open {
		unlock()
		return nil, false, err
	}
	return unlock, true, nil
}
