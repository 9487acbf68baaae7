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
	db    *sql.DB
	path  string
	lock  *fileLock
	stmts struct {
		sel, ins, upd, chg, touch  *sql.Stmt // records
		enqueue, done, keep, cache *sql.Stmt // frontier and pages
		known                      *sql.Stmt
	}
	// Now gives the time stamps; tests replace it.
	Now func() time.Time

	totals map[int64]int // the total last written for each walk
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
	db := &DB{db: sqldb, path: path, Now: time.Now, totals: map[int64]int{}}
	if err := db.migrate(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.prepare(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// prepare makes the statements of the upsert path once, not per page.
func (db *DB) prepare(ctx context.Context) error {
	for _, s := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&db.stmts.sel, `SELECT title, date, date_text, summary, gone_at FROM records WHERE url = ?`},
		{&db.stmts.ins, `INSERT INTO records (url, title, date, date_text, summary, listing_url, first_seen, last_seen, last_walk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (url) DO NOTHING`},
		{&db.stmts.upd, `UPDATE records SET title = ?, date = ?, date_text = ?, summary = ?, listing_url = ?, last_seen = ?, last_walk = ?, gone_at = NULL WHERE url = ?`},
		{&db.stmts.chg, `INSERT INTO record_changes (url, changed_at, field, old_value, new_value, listing_url, run_id) VALUES (?, ?, ?, ?, ?, ?, ?)`},
		{&db.stmts.touch, `UPDATE records SET last_seen = ?, last_walk = ?, gone_at = NULL WHERE url = ?`},
		{&db.stmts.enqueue, `INSERT INTO frontier (walk_id, url, seq, state, updated_at)
			VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM frontier WHERE walk_id = ?), 'pending', ?)
			ON CONFLICT (walk_id, url) DO NOTHING`},
		{&db.stmts.done, `INSERT INTO frontier (walk_id, url, seq, state, status, records, attempts, charset, invalid_bytes, updated_at)
			VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM frontier WHERE walk_id = ?), 'done', ?, ?, 1, NULLIF(?, ''), ?, ?)
			ON CONFLICT (walk_id, url) DO UPDATE SET state = 'done', status = excluded.status, error = NULL, records = excluded.records,
			attempts = attempts + 1, charset = COALESCE(excluded.charset, charset), invalid_bytes = excluded.invalid_bytes,
			updated_at = excluded.updated_at`},
		{&db.stmts.keep, `INSERT INTO pages (url, etag, last_modified, next_url, total, record_urls, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, next_url = excluded.next_url,
			total = excluded.total, record_urls = excluded.record_urls, fetched_at = excluded.fetched_at`},
		{&db.stmts.cache, `SELECT etag, last_modified, next_url, total FROM pages WHERE url = ?`},
		{&db.stmts.known, `SELECT seq, state FROM frontier WHERE walk_id = ? AND url = ?`},
	} {
		st, err := db.db.PrepareContext(ctx, s.sql)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		*s.stmt = st
	}
	return nil
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

// BeginRun records the start of a crawl run on a walk.
func (db *DB) BeginRun(ctx context.Context, w harvest.Walk) (int64, error) {
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
		not_modified = ?, records_gone = ?, repaired_pages = ? WHERE id = ?`,
		db.now(), s.Pages, s.Requests, s.New, s.Updated, s.Unchanged, s.FailedPages, total, s.Outcome, s.Message,
		s.NotModified, s.Gone, s.Repaired, runID)
	if err != nil {
		return fmt.Errorf("finish run: %w", err)
	}
	return nil
}

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
	for _, p := range pages {
		if p.Total > 0 {
			db.totals[p.WalkID] = p.Total
		}
	}
	return out, nil
}

func (db *DB) savePage(ctx context.Context, tx *sql.Tx, p harvest.PageResult, now string) (harvest.Counts, error) {
	var c harvest.Counts
	var err error
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
		p.WalkID, p.URL, p.WalkID, p.Status, c.New+c.Updated+c.Unchanged, p.Charset, p.InvalidBytes, now); err != nil {
		return c, fmt.Errorf("mark page done: %w", err)
	}
	if p.Total > 0 && db.totals[p.WalkID] != p.Total {
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
		changed := false
		for _, f := range [][3]string{{"title", old.Title, r.Title}, {"date", old.Date, r.Date}, {"date_text", old.DateText, r.DateText}, {"summary", old.Summary, r.Summary}} {
			if f[1] != f[2] {
				changed = true
				if _, err := chg.ExecContext(ctx, r.URL, now, f[0], f[1], f[2], r.ListingURL, p.RunID); err != nil {
					return c, fmt.Errorf("record change of %s: %w", r.URL, err)
				}
			}
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
	_, err := tx.StmtContext(ctx, db.stmts.keep).ExecContext(ctx, p.URL, p.ETag, p.LastModified, p.Next, p.Total, strings.Join(urls, "\n"), now)
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
	return rows.Err()
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

func (db *DB) enqueue(ctx context.Context, tx *sql.Tx, walkID int64, urls []string, now string) error {
	if len(urls) == 0 {
		return nil
	}
	st := tx.StmtContext(ctx, db.stmts.enqueue)
	for _, u := range urls {
		if _, err := st.ExecContext(ctx, walkID, u, walkID, now); err != nil {
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
		return db.enqueue(ctx, tx, walkID, enqueueURLs, now)
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
	ID        int64     `json:"id"`
	StartURL  string    `json:"start_url"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	harvest.RunSummary
}

// Runs lists the runs, oldest first.
func (db *DB) Runs(ctx context.Context) ([]Run, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, start_url, started_at, COALESCE(finished_at, ''), pages, requests, records_new,
		records_updated, records_unchanged, failed_pages, COALESCE(total_reported, 0), outcome, message,
		mode, not_modified, records_gone, repaired_pages FROM runs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var start, end string
		if err := rows.Scan(&r.ID, &r.StartURL, &start, &end, &r.Pages, &r.Requests, &r.New, &r.Updated, &r.Unchanged,
			&r.FailedPages, &r.TotalReported, &r.Outcome, &r.Message, &r.Mode, &r.NotModified, &r.Gone, &r.Repaired); err != nil {
			return nil, fmt.Errorf("read runs: %w", err)
		}
		r.StartedAt, _ = time.Parse(time.RFC3339, start)
		r.EndedAt, _ = time.Parse(time.RFC3339, end)
		out = append(out, r)
	}
	return out, rows.Err()
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
	return rows.Err()
}

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
	rows, err := db.db.QueryContext(ctx, `SELECT COALESCE(w.listing, w.start_url), COALESCE(w.total, 0), w.finished_at,
		(SELECT COUNT(*) FROM records r WHERE r.last_walk = w.id)
		FROM walks w WHERE w.kind = 'full' AND w.finished_at IS NOT NULL
		AND w.id = (SELECT MAX(id) FROM walks v WHERE v.kind = 'full' AND v.finished_at IS NOT NULL AND COALESCE(v.listing, v.start_url) = COALESCE(w.listing, w.start_url))
		ORDER BY w.id`)
	if err != nil {
		return s, fmt.Errorf("stats: %w", err)
	}
	for rows.Next() {
		var l ListingStats
		var fin string
		if err := rows.Scan(&l.Listing, &l.Total, &fin, &l.Seen); err != nil {
			rows.Close()
			return s, fmt.Errorf("stats: %w", err)
		}
		l.FinishedAt, _ = time.Parse(time.RFC3339, fin)
		s.Listings = append(s.Listings, l)
	}
	rows.Close()
	if s.Runs, err = db.Runs(ctx); err != nil {
		return s, err
	}
	rows, err = db.db.QueryContext(ctx, `SELECT f.url, f.state, COALESCE(f.status, 0), COALESCE(f.error, '') FROM frontier f
		JOIN walks w ON w.id = f.walk_id WHERE w.finished_at IS NULL AND f.state IN ('failed', 'skipped') ORDER BY f.walk_id, f.seq`)
	if err != nil {
		return s, fmt.Errorf("stats: %w", err)
	}
	for rows.Next() {
		var f FailedPage
		if err := rows.Scan(&f.URL, &f.State, &f.Status, &f.Error); err != nil {
			rows.Close()
			return s, fmt.Errorf("stats: %w", err)
		}
		s.FailedPages = append(s.FailedPages, f)
	}
	rows.Close()
	rows, err = db.db.QueryContext(ctx, `SELECT substr(date, 1, 4) AS y, COUNT(*) FROM records
		WHERE date GLOB '[0-9][0-9][0-9][0-9]*' GROUP BY y ORDER BY y`)
	if err != nil {
		return s, fmt.Errorf("stats: %w", err)
	}
	dated := 0
	for rows.Next() {
		var y YearCount
		if err := rows.Scan(&y.Year, &y.Count); err != nil {
			rows.Close()
			return s, fmt.Errorf("stats: %w", err)
		}
		dated += y.Count
		s.Years = append(s.Years, y)
	}
	rows.Close()
	s.Undated = s.Records - dated
	return s, nil
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
