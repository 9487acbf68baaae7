package store

import (
	"context"
	"fmt"
	"time"

	"github.com/harvest-archive/harvest"
)

// staleRun is the message of a run that a later run found still marked
// running: its process ended without closing it (killed, or the machine
// stopped).
const staleRun = "ended without closing its run (killed?); closed by the next run"

// BeginRun records the start of a crawl run on a walk. A run still marked
// running, whose process was killed (kill -9, a power cut), is closed as
// interrupted first: every such run when this process holds the database's
// lock, else those of the same walk.
func (db *DB) BeginRun(ctx context.Context, w harvest.Walk) (int64, error) {
	q, args := `UPDATE runs SET outcome = ?, message = ? WHERE outcome = ?`, []any{harvest.OutcomeInterrupted, staleRun, harvest.OutcomeRunning}
	if db.lock == nil {
		q, args = q+` AND walk_id = ?`, append(args, w.ID)
	}
	if _, err := db.db.ExecContext(ctx, q, args...); err != nil {
		return 0, fmt.Errorf("close stale runs: %w", err)
	}
	res, err := db.db.ExecContext(ctx, `INSERT INTO runs (walk_id, start_url, started_at, mode) VALUES (?, ?, ?, ?)`, w.ID, w.StartURL, db.now(), w.Kind)
	if err != nil {
		return 0, fmt.Errorf("begin run: %w", err)
	}
	return res.LastInsertId()
}

// FinishRun records how a run ended.
func (db *DB) FinishRun(ctx context.Context, runID int64, s harvest.RunSummary) error {
	var total any
	if s.TotalReported > 0 {
		total = s.TotalReported
	}
	_, err := db.db.ExecContext(ctx, `UPDATE runs SET finished_at = ?, pages = ?, requests = ?, records_new = ?,
		records_updated = ?, records_unchanged = ?, failed_pages = ?, total_reported = ?, outcome = ?, message = ?,
		not_modified = ?, records_gone = ?, repaired_pages = ?, records = ? WHERE id = ?`,
		db.now(), s.Pages, s.Requests, s.New, s.Updated, s.Unchanged, s.FailedPages, total, s.Outcome, s.Message,
		s.NotModified, s.Gone, s.Repaired, s.Records, runID)
	if err != nil {
		return fmt.Errorf("finish run: %w", err)
	}
	return nil
}

// Run is a row of the runs table.
type Run struct {
	ID        int64     `json:"id"`
	StartURL  string    `json:"start_url"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	harvest.RunSummary
}

// Runs lists the runs, oldest first.
func (db *DB) Runs(ctx context.Context) ([]Run, error) {
	return db.runs(ctx, "ORDER BY id", nil)
}

// runs reads the runs in the order (and limit) that tail gives.
func (db *DB) runs(ctx context.Context, tail string, args []any) ([]Run, error) {
	// A database read as it is (OpenReadOnly) may predate the records column.
	records := "0"
	var has int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('runs') WHERE name = 'records'`).Scan(&has); err == nil && has > 0 {
		records = "COALESCE(records, 0)"
	}
	rows, err := db.db.QueryContext(ctx, `SELECT id, start_url, started_at, COALESCE(finished_at, ''), pages, requests, records_new,
		records_updated, records_unchanged, failed_pages, COALESCE(total_reported, 0), outcome, message,
		mode, not_modified, records_gone, repaired_pages, `+records+` FROM runs `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("read runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var start, end string
		if err := rows.Scan(&r.ID, &r.StartURL, &start, &end, &r.Pages, &r.Requests, &r.New, &r.Updated, &r.Unchanged,
			&r.FailedPages, &r.TotalReported, &r.Outcome, &r.Message, &r.Mode, &r.NotModified, &r.Gone, &r.Repaired, &r.Records); err != nil {
			return nil, fmt.Errorf("read runs: %w", err)
		}
		r.StartedAt, _ = time.Parse(time.RFC3339, start)
		r.EndedAt, _ = time.Parse(time.RFC3339, end)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read runs: %w", err)
	}
	return out, nil
}
