// Package store keeps harvested records in SQLite (modernc.org/sqlite, no
// cgo): the schema and its migrations, deduplicating upserts, the runs
// table, and the crawl frontier that lets an interrupted crawl resume.
// It knows nothing of HTML or HTTP.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/harvest-archive/harvest"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is an open harvest database.
type DB struct {
	db   *sql.DB
	path string
	lock *fileLock
	// Now gives the time stamps; tests replace it.
	Now func() time.Time
}

// Open opens (creating when needed) the database at path and migrates its
// schema to the newest version. The database is in WAL mode with foreign keys
// on; a database written by a newer harvest is refused.
func Open(ctx context.Context, path string) (*DB, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One connection: SQLite has one writer, and this keeps every statement
	// of a transaction on it.
	sqldb.SetMaxOpenConns(1)
	db := &DB{db: sqldb, path: path, Now: time.Now}
	if err := db.migrate(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// Close releases the lock (if held) and closes the database.
func (db *DB) Close() error {
	err := db.db.Close()
	if db.lock != nil {
		db.lock.release()
		db.lock = nil
	}
	return err
}

// Lock takes the database for this process alone, as a crawl must: a second
// process gets harvest.ErrLocked at once. The lock is an advisory lock on
// PATH.lock held by the open file, so the system drops it when the process
// dies, however it dies.
func (db *DB) Lock() error {
	l, err := acquire(db.path + ".lock")
	if err != nil {
		return err
	}
	db.lock = l
	return nil
}

func (db *DB) now() string { return harvest.FormatTime(db.Now()) }

// SchemaVersion is the newest migration applied.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	current, err := db.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	latest := 0
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(name, "migrations/"), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: bad name", name)
		}
		latest = v
		if v <= current {
			continue
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := db.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, v, db.now()); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	if current > latest {
		return fmt.Errorf("database schema version %d is newer than this harvest knows (%d): upgrade harvest", current, latest)
	}
	return nil
}

// FindWalk returns the unfinished walk of startURL, if there is one. It
// only reads.
func (db *DB) FindWalk(ctx context.Context, startURL string) (harvest.Walk, bool, error) {
	w := harvest.Walk{StartURL: startURL}
	var total sql.NullInt64
	err := db.db.QueryRowContext(ctx, `SELECT id, total FROM walks WHERE start_url = ? AND finished_at IS NULL ORDER BY id DESC LIMIT 1`, startURL).Scan(&w.ID, &total)
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
func (db *DB) NewWalk(ctx context.Context, startURL string) (harvest.Walk, error) {
	w := harvest.Walk{StartURL: startURL}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO walks (start_url, started_at) VALUES (?, ?)`, startURL, db.now())
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
	rows, err := db.db.QueryContext(ctx, `SELECT url, state = 'failed', attempts FROM frontier
		WHERE walk_id = ? AND state IN ('pending', 'failed') ORDER BY state = 'failed' DESC, seq`, walkID)
	if err != nil {
		return nil, fmt.Errorf("read frontier: %w", err)
	}
	defer rows.Close()
	var out []harvest.PendingPage
	for rows.Next() {
		var p harvest.PendingPage
		if err := rows.Scan(&p.URL, &p.Failed, &p.Attempts); err != nil {
			return nil, fmt.Errorf("read frontier: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Known reports whether url is in the walk's frontier already, and whether it
// was fetched.
func (db *DB) Known(ctx context.Context, walkID int64, url string) (known, done bool, err error) {
	var state string
	err = db.db.QueryRowContext(ctx, `SELECT state FROM frontier WHERE walk_id = ? AND url = ?`, walkID, url).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("read frontier: %w", err)
	}
	return true, state == "done", nil
}

// FinishWalk marks the walk done: the next run of its start URL begins anew.
func (db *DB) FinishWalk(ctx context.Context, walkID int64) error {
	_, err := db.db.ExecContext(ctx, `UPDATE walks SET finished_at = ? WHERE id = ?`, db.now(), walkID)
	if err != nil {
		return fmt.Errorf("finish walk: %w", err)
	}
	return nil
}

// WalkRecords counts the records found on the walk's fetched pages.
func (db *DB) WalkRecords(ctx context.Context, walkID int64) (int, error) {
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(records), 0) FROM frontier WHERE walk_id = ? AND state = 'done'`, walkID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count walk records: %w", err)
	}
	return n, nil
}

// BeginRun records the start of a crawl run on a walk.
func (db *DB) BeginRun(ctx context.Context, startURL string, walkID int64) (int64, error) {
	res, err := db.db.ExecContext(ctx, `INSERT INTO runs (walk_id, start_url, started_at) VALUES (?, ?, ?)`, walkID, startURL, db.now())
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
		records_updated = ?, records_unchanged = ?, failed_pages = ?, total_reported = ?, outcome = ?, message = ? WHERE id = ?`,
		db.now(), s.Pages, s.Requests, s.New, s.Updated, s.Unchanged, s.FailedPages, total, s.Outcome, s.Message, runID)
	if err != nil {
		return fmt.Errorf("finish run: %w", err)
	}
	return nil
}

// SavePage stores a fetched page in one transaction: its records upserted
// (one row per URL; last_seen and listing_url moved on), the page marked done
// and the pages it leads to added to the frontier. A crash leaves either all
// of it or none.
func (db *DB) SavePage(ctx context.Context, p harvest.PageResult) (harvest.Counts, error) {
	var c harvest.Counts
	now := db.now()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		sel, err := tx.PrepareContext(ctx, `SELECT title, date, date_text, summary FROM records WHERE url = ?`)
		if err != nil {
			return err
		}
		defer sel.Close()
		ins, err := tx.PrepareContext(ctx, `INSERT INTO records (url, title, date, date_text, summary, listing_url, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		upd, err := tx.PrepareContext(ctx, `UPDATE records SET title = ?, date = ?, date_text = ?, summary = ?, listing_url = ?, last_seen = ? WHERE url = ?`)
		if err != nil {
			return err
		}
		defer upd.Close()
		for _, r := range p.Records {
			var title, date, dateText, summary string
			err := sel.QueryRowContext(ctx, r.URL).Scan(&title, &date, &dateText, &summary)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				if _, err := ins.ExecContext(ctx, r.URL, r.Title, r.Date, r.DateText, r.Summary, r.ListingURL, now, now); err != nil {
					return fmt.Errorf("insert %s: %w", r.URL, err)
				}
				c.New++
				continue
			case err != nil:
				return fmt.Errorf("read %s: %w", r.URL, err)
			}
			if title == r.Title && date == r.Date && dateText == r.DateText && summary == r.Summary {
				c.Unchanged++
			} else {
				c.Updated++
			}
			if _, err := upd.ExecContext(ctx, r.Title, r.Date, r.DateText, r.Summary, r.ListingURL, now, r.URL); err != nil {
				return fmt.Errorf("update %s: %w", r.URL, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE frontier SET state = 'done', status = ?, error = NULL, records = ?, attempts = attempts + 1,
			charset = ?, invalid_bytes = ?, updated_at = ? WHERE walk_id = ? AND url = ?`,
			p.Status, len(p.Records), p.Charset, p.InvalidBytes, now, p.WalkID, p.URL); err != nil {
			return fmt.Errorf("mark page done: %w", err)
		}
		if p.Total > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE walks SET total = ? WHERE id = ?`, p.Total, p.WalkID); err != nil {
				return fmt.Errorf("set total: %w", err)
			}
		}
		return enqueue(ctx, tx, p.WalkID, p.Enqueue, now)
	})
	if err != nil {
		return harvest.Counts{}, fmt.Errorf("save page %s: %w", p.URL, err)
	}
	return c, nil
}

func enqueue(ctx context.Context, tx *sql.Tx, walkID int64, urls []string, now string) error {
	for _, u := range urls {
		if _, err := tx.ExecContext(ctx, `INSERT INTO frontier (walk_id, url, seq, state, updated_at)
			VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM frontier WHERE walk_id = ?), 'pending', ?)
			ON CONFLICT (walk_id, url) DO NOTHING`, walkID, u, walkID, now); err != nil {
			return fmt.Errorf("enqueue %s: %w", u, err)
		}
	}
	return nil
}

// MarkFailed records a page that failed for good in this run, with its last
// HTTP status (0 for none) and error, and adds the pages it still led to (a
// page with no records may have a pager). The next run of the walk retries
// it first.
func (db *DB) MarkFailed(ctx context.Context, walkID int64, url string, status int, cause error, enqueueURLs []string) error {
	now := db.now()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE frontier SET state = 'failed', status = ?, error = ?, attempts = attempts + 1, updated_at = ? WHERE walk_id = ? AND url = ?`,
			status, cause.Error(), now, walkID, url); err != nil {
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

// Records calls fn for every stored record, in the order they were first
// stored, reading one row at a time.
func (db *DB) Records(ctx context.Context, fn func(harvest.Record) error) error {
	rows, err := db.db.QueryContext(ctx, `SELECT url, title, date, date_text, summary, listing_url, first_seen, last_seen FROM records ORDER BY rowid`)
	if err != nil {
		return fmt.Errorf("read records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r harvest.Record
		var first, last string
		if err := rows.Scan(&r.URL, &r.Title, &r.Date, &r.DateText, &r.Summary, &r.ListingURL, &first, &last); err != nil {
			return fmt.Errorf("read records: %w", err)
		}
		r.FirstSeen, _ = time.Parse(time.RFC3339, first)
		r.LastSeen, _ = time.Parse(time.RFC3339, last)
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read records: %w", err)
	}
	return nil
}

// FrontierPage is a page of a walk as the store keeps it.
type FrontierPage struct {
	URL          string
	State        string // pending, done, failed or skipped
	Status       int
	Error        string
	Records      int
	Charset      string
	InvalidBytes int
}

// Frontier lists every page of a walk, in the order found.
func (db *DB) Frontier(ctx context.Context, walkID int64) ([]FrontierPage, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT url, state, COALESCE(status, 0), COALESCE(error, ''), COALESCE(records, 0),
		COALESCE(charset, ''), invalid_bytes FROM frontier WHERE walk_id = ? ORDER BY seq`, walkID)
	if err != nil {
		return nil, fmt.Errorf("read frontier: %w", err)
	}
	defer rows.Close()
	var out []FrontierPage
	for rows.Next() {
		var p FrontierPage
		if err := rows.Scan(&p.URL, &p.State, &p.Status, &p.Error, &p.Records, &p.Charset, &p.InvalidBytes); err != nil {
			return nil, fmt.Errorf("read frontier: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
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

// Run is a row of the runs table.
type Run struct {
	ID                 int64
	StartURL           string
	StartedAt, EndedAt time.Time
	harvest.RunSummary
}

// Runs lists the runs, oldest first.
func (db *DB) Runs(ctx context.Context) ([]Run, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, start_url, started_at, COALESCE(finished_at, ''), pages, requests, records_new,
		records_updated, records_unchanged, failed_pages, COALESCE(total_reported, 0), outcome, message FROM runs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var start, end string
		if err := rows.Scan(&r.ID, &r.StartURL, &start, &end, &r.Pages, &r.Requests, &r.New, &r.Updated, &r.Unchanged,
			&r.FailedPages, &r.TotalReported, &r.Outcome, &r.Message); err != nil {
			return nil, fmt.Errorf("read runs: %w", err)
		}
		r.StartedAt, _ = time.Parse(time.RFC3339, start)
		r.EndedAt, _ = time.Parse(time.RFC3339, end)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Count is the number of stored records.
func (db *DB) Count(ctx context.Context) (int, error) {
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM records`).Scan(&n)
	return n, err
}

func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
