package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Stats is a summary of a database for `harvest stats`.
type Stats struct {
	Records     int            `json:"records"`
	Gone        int            `json:"gone"`
	Listings    []ListingStats `json:"listings"`
	Runs        []Run          `json:"runs"`
	FailedPages []FailedPage   `json:"failed_pages"`
	Years       []YearCount    `json:"documents_per_year"`
	Undated     int            `json:"undated"`
}

// ListingStats is how completely a listing was harvested: the records its
// last complete full walk saw, against the total the listing stated.
type ListingStats struct {
	Listing    string    `json:"listing"`
	Total      int       `json:"total"`
	Seen       int       `json:"seen"`
	FinishedAt time.Time `json:"finished_at"`
}

// FailedPage is a page of an unfinished walk that failed or was skipped.
type FailedPage struct {
	URL    string `json:"url"`
	State  string `json:"state"`
	Status int    `json:"status"`
	Error  string `json:"error"`
}

// YearCount is how many records are dated in a year.
type YearCount struct {
	Year  string `json:"year"`
	Count int    `json:"count"`
}

// Stats reads the summary of the database.
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(gone_at) FROM records`).Scan(&s.Records, &s.Gone); err != nil {
		return s, fmt.Errorf("stats: %w", err)
	}
	var err error
	if s.Listings, err = db.listings(ctx); err != nil {
		return s, fmt.Errorf("stats: listings: %w", err)
	}
	if s.Runs, err = db.Runs(ctx); err != nil {
		return s, fmt.Errorf("stats: %w", err)
	}
	if s.FailedPages, err = db.failedPages(ctx, -1); err != nil {
		return s, fmt.Errorf("stats: failed pages: %w", err)
	}
	dated := 0
	err = db.each(ctx, `SELECT substr(date, 1, 4) AS y, COUNT(*) FROM records
		WHERE date GLOB '[0-9][0-9][0-9][0-9]*' GROUP BY y ORDER BY y`, nil, func(rows *sql.Rows) error {
		var y YearCount
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

// listings reads, for each listing, its newest finished full walk: the
// listing's total then and the records that walk saw.
func (db *DB) listings(ctx context.Context) ([]ListingStats, error) {
	var out []ListingStats
	err := db.each(ctx, `SELECT COALESCE(w.listing, w.start_url), COALESCE(w.total, 0), w.finished_at,
		(SELECT COUNT(*) FROM records r WHERE r.last_walk = w.id)
		FROM walks w WHERE w.kind = 'full' AND w.finished_at IS NOT NULL
		AND w.id = (SELECT MAX(id) FROM walks v WHERE v.kind = 'full' AND v.finished_at IS NOT NULL AND COALESCE(v.listing, v.start_url) = COALESCE(w.listing, w.start_url))
		ORDER BY w.id`, nil, func(rows *sql.Rows) error {
		var l ListingStats
		var fin string
		if err := rows.Scan(&l.Listing, &l.Total, &fin, &l.Seen); err != nil {
			return err
		}
		l.FinishedAt, _ = time.Parse(time.RFC3339, fin)
		out = append(out, l)
		return nil
	})
	return out, err
}

// failedFrom selects the pages of unfinished walks that failed or were
// skipped: the next run's to retry.
const failedFrom = ` FROM frontier f JOIN walks w ON w.id = f.walk_id WHERE w.finished_at IS NULL AND f.state IN ('failed', 'skipped')`

// failedPages lists those pages in walk order, at most limit of them (-1:
// all).
func (db *DB) failedPages(ctx context.Context, limit int) ([]FailedPage, error) {
	var out []FailedPage
	err := db.each(ctx, `SELECT f.url, f.state, COALESCE(f.status, 0), COALESCE(f.error, '')`+failedFrom+` ORDER BY f.walk_id, f.seq LIMIT ?`,
		[]any{limit}, func(rows *sql.Rows) error {
			var f FailedPage
			if err := rows.Scan(&f.URL, &f.State, &f.Status, &f.Error); err != nil {
				return err
			}
			out = append(out, f)
			return nil
		})
	return out, err
}
