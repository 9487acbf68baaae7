package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/store"
)

// BeginRun records the start of a crawl run on a walk. A process that holds
// the database alone (Lock) first closes, as interrupted, every run still
// marked running, as the SQLite store does; a fleet worker does not, since
// the other workers' runs are running.
func (db *DB) BeginRun(ctx context.Context, w harvest.Walk) (int64, error) {
	if db.readOnly {
		return 0, store.ErrReadOnly
	}
	if db.lock != nil {
		if _, err := db.pool.Exec(ctx, `UPDATE runs SET outcome = $1, message = $2 WHERE outcome = $3`, harvest.OutcomeInterrupted,
			"ended without closing its run (killed?); closed by the next run", harvest.OutcomeRunning); err != nil {
			return 0, fmt.Errorf("close stale runs: %w", err)
		}
	}
	var id int64
	err := db.pool.QueryRow(ctx, `INSERT INTO runs (walk_id, start_url, started_at, mode) VALUES ($1, $2, $3, $4) RETURNING id`,
		w.ID, w.StartURL, db.now(), w.Kind).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("begin run: %w", err)
	}
	return id, nil
}

// FinishRun records how a run ended.
func (db *DB) FinishRun(ctx context.Context, runID int64, s harvest.RunSummary) error {
	var total *int
	if s.TotalReported > 0 {
		total = &s.TotalReported
	}
	_, err := db.exec(ctx, `UPDATE runs SET finished_at = $1, pages = $2, requests = $3, records_new = $4,
		records_updated = $5, records_unchanged = $6, failed_pages = $7, total_reported = $8, outcome = $9, message = $10,
		not_modified = $11, records_gone = $12, repaired_pages = $13, records = $14 WHERE id = $15`,
		db.now(), s.Pages, s.Requests, s.New, s.Updated, s.Unchanged, s.FailedPages, total, s.Outcome, s.Message,
		s.NotModified, s.Gone, s.Repaired, s.Records, runID)
	if err != nil {
		return fmt.Errorf("finish run: %w", err)
	}
	return nil
}

// Runs lists the runs, oldest first.
func (db *DB) Runs(ctx context.Context) ([]store.Run, error) {
	var out []store.Run
	err := each(ctx, db.pool, `SELECT id, start_url, started_at, COALESCE(finished_at, ''), pages, requests, records_new,
		records_updated, records_unchanged, failed_pages, COALESCE(total_reported, 0), outcome, message,
		mode, not_modified, records_gone, repaired_pages, COALESCE(records, 0) FROM runs ORDER BY id`, nil, func(rows pgx.Rows) error {
		var r store.Run
		var start, end string
		if err := rows.Scan(&r.ID, &r.StartURL, &start, &end, &r.Pages, &r.Requests, &r.New, &r.Updated, &r.Unchanged,
			&r.FailedPages, &r.TotalReported, &r.Outcome, &r.Message, &r.Mode, &r.NotModified, &r.Gone, &r.Repaired, &r.Records); err != nil {
			return err
		}
		r.StartedAt, r.EndedAt = parseTime(start), parseTime(end)
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read runs: %w", err)
	}
	return out, nil
}

// Stats reads the summary of the database.
func (db *DB) Stats(ctx context.Context) (store.Stats, error) {
	var s store.Stats
	if err := db.pool.QueryRow(ctx, `SELECT COUNT(*), COUNT(gone_at) FROM records`).Scan(&s.Records, &s.Gone); err != nil {
		return s, fmt.Errorf("stats: %w", err)
	}
	err := each(ctx, db.pool, `SELECT COALESCE(w.listing, w.start_url), COALESCE(w.total, 0), w.finished_at,
		(SELECT COUNT(*) FROM records r WHERE r.last_walk = w.id)
		FROM walks w WHERE w.kind = 'full' AND w.finished_at IS NOT NULL
		AND w.id = (SELECT MAX(id) FROM walks v WHERE v.kind = 'full' AND v.finished_at IS NOT NULL AND COALESCE(v.listing, v.start_url) = COALESCE(w.listing, w.start_url))
		ORDER BY w.id`, nil, func(rows pgx.Rows) error {
		var l store.ListingStats
		var fin string
		if err := rows.Scan(&l.Listing, &l.Total, &fin, &l.Seen); err != nil {
			return err
		}
		l.FinishedAt = parseTime(fin)
		s.Listings = append(s.Listings, l)
		return nil
	})
	if err != nil {
		return s, fmt.Errorf("stats: listings: %w", err)
	}
	if s.Runs, err = db.Runs(ctx); err != nil {
		return s, fmt.Errorf("stats: %w", err)
	}
	err = each(ctx, db.pool, `SELECT f.url, f.state, COALESCE(f.status, 0), COALESCE(f.error, '') FROM frontier f
		JOIN walks w ON w.id = f.walk_id WHERE w.finished_at IS NULL AND f.state IN ('failed', 'skipped') ORDER BY f.walk_id, f.seq`,
		nil, func(rows pgx.Rows) error {
			var f store.FailedPage
			if err := rows.Scan(&f.URL, &f.State, &f.Status, &f.Error); err != nil {
				return err
			}
			s.FailedPages = append(s.FailedPages, f)
			return nil
		})
	if err != nil {
		return s, fmt.Errorf("stats: failed pages: %w", err)
	}
	dated := 0
	err = each(ctx, db.pool, `SELECT substr(date, 1, 4) AS y, COUNT(*) FROM records
		WHERE date ~ '^[0-9]{4}' GROUP BY y ORDER BY y`, nil, func(rows pgx.Rows) error {
		var y store.YearCount
		if err := rows.Scan(&y.Year, &y.Count); err != nil {
			return err
		}
		dated += y.Count
		s.Years = append(s.Years, y)
		return nil
	})
	if err != nil {
		return s, fmt.Errorf("stats: years: %w", err)
	}
	s.Undated = s.Records - dated
	return s, nil
}
