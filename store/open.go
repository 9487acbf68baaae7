package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Option adjusts a database as Open opens it.
type Option func(*DB)

// WithClock makes now the source of the database's time stamps (tests move
// it). It is the same as setting DB.Now before use.
func WithClock(now func() time.Time) Option {
	return func(db *DB) {
		if now != nil {
			db.Now = now
		}
	}
}

// WithLock takes the database for this process alone (see Lock) before
// anything else, migrations included: a newer harvest never upgrades a
// database under a running crawl. Open fails with harvest.ErrLocked when
// another process holds it.
func WithLock() Option {
	return func(db *DB) { db.lockFirst = true }
}

// ErrReadOnly means a write was asked of a database opened with OpenReadOnly.
var ErrReadOnly = errors.New("database is open read-only")

// Open opens (creating when needed) the database at path and migrates its
// schema to the newest version. The database is in WAL mode with foreign keys
// on; a database written by a newer harvest is refused. Several processes
// may open a new database at once.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	// busy_timeout comes first so that the WAL switch of a new file, which
	// takes an exclusive lock, waits for another process doing the same;
	// _txlock=immediate makes every transaction take the write lock at BEGIN,
	// so that no read inside one is stale by the time it writes.
	// temp_store=MEMORY keeps statement journals in memory: an upsert whose
	// triggers keep the search index (migration 0009) needs one per
	// statement, and in a temporary file each costs system calls.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)&_pragma=wal_autocheckpoint(16384)&_txlock=immediate"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One connection: SQLite has one writer, and this keeps every statement
	// of a transaction on it.
	sqldb.SetMaxOpenConns(1)
	db := &DB{db: sqldb, path: path, Now: time.Now, totals: map[int64]int{}}
	for _, o := range opts {
		o(db)
	}
	if db.lockFirst {
		if err := db.Lock(); err != nil {
			sqldb.Close()
			return nil, err
		}
	}
	fail := func(err error) (*DB, error) {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.migrate(ctx); err != nil {
		return fail(err)
	}
	if err := db.prepare(ctx); err != nil {
		return fail(err)
	}
	if db.version, err = db.SchemaVersion(ctx); err != nil {
		return fail(err)
	}
	return db, nil
}

// prepare makes the statements of the upsert path once, not per page.
func (db *DB) prepare(ctx context.Context) error {
	for _, s := range []struct {
		stmt  **sql.Stmt
		sql   string
		write bool // prepared only when the database is writable
	}{
		{&db.stmts.sel, `SELECT title, date, date_text, summary, gone_at FROM records WHERE url = ?`, false},
		{&db.stmts.ins, `INSERT INTO records (url, title, date, date_text, summary, listing_url, first_seen, last_seen, last_walk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (url) DO NOTHING`, true},
		{&db.stmts.upd, `UPDATE records SET title = ?, date = ?, date_text = ?, summary = ?, listing_url = ?, last_seen = MAX(last_seen, ?), last_walk = ?, gone_at = NULL WHERE url = ?`, true},
		{&db.stmts.chg, `INSERT INTO record_changes (url, changed_at, field, old_value, new_value, listing_url, run_id) VALUES (?, ?, ?, ?, ?, ?, ?)`, true},
		{&db.stmts.touch, `UPDATE records SET last_seen = MAX(last_seen, ?), last_walk = ?, gone_at = NULL WHERE url = ?`, true},
		{&db.stmts.enqueue, `INSERT INTO frontier (walk_id, url, seq, state, updated_at, kind)
			VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM frontier WHERE walk_id = ?), 'pending', ?, ?)
			ON CONFLICT (walk_id, url) DO NOTHING`, true},
		{&db.stmts.done, `INSERT INTO frontier (walk_id, url, seq, state, status, records, attempts, charset, invalid_bytes, updated_at, kind)
			VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM frontier WHERE walk_id = ?), 'done', ?, ?, 1, NULLIF(?, ''), ?, ?, ?)
			ON CONFLICT (walk_id, url) DO UPDATE SET state = 'done', kind = excluded.kind, status = excluded.status, error = NULL, records = excluded.records,
			attempts = attempts + 1, charset = COALESCE(excluded.charset, charset), invalid_bytes = excluded.invalid_bytes,
			updated_at = excluded.updated_at`, true},
		{&db.stmts.keep, `INSERT INTO pages (url, etag, last_modified, next_url, total, record_urls, fetched_at, records_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, next_url = excluded.next_url,
			total = excluded.total, record_urls = excluded.record_urls, fetched_at = excluded.fetched_at, records_hash = excluded.records_hash`, true},
		{&db.stmts.hash, `SELECT records_hash FROM pages WHERE url = ?`, true},
		// Re-parse (reparse.go).
		{&db.stmts.reSel, `SELECT title, date, date_text, summary, listing_url, last_seen FROM records WHERE url = ?`, true},
		{&db.stmts.reUpd, `UPDATE records SET title = ?, date = ?, date_text = ?, summary = ?, last_seen = MAX(last_seen, ?) WHERE url = ?`, true},
		{&db.stmts.rePage, `INSERT INTO pages (url, etag, last_modified, next_url, total, record_urls, fetched_at, records_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (url) DO UPDATE SET next_url = excluded.next_url, total = excluded.total, record_urls = excluded.record_urls, records_hash = excluded.records_hash`, true},
		{&db.stmts.reFront, `INSERT INTO frontier (walk_id, url, seq, state, status, records, attempts, charset, invalid_bytes, updated_at, kind)
			VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM frontier WHERE walk_id = ?), 'done', ?, ?, 0, NULLIF(?, ''), ?, ?, ?)
			ON CONFLICT (walk_id, url) DO NOTHING`, true},
		{&db.stmts.cache, `SELECT etag, last_modified, next_url, total FROM pages WHERE url = ?`, false},
		{&db.stmts.known, `SELECT seq, state FROM frontier WHERE walk_id = ? AND url = ?`, false},
		{&db.stmts.docSave, saveDocumentSQL, true},
		{&db.stmts.docIndexed, docIndexedSQL, true},
		{&db.stmts.ftsDetails, ftsDetailsSQL, true},
		{&db.stmts.termsDel, termsDelSQL, true},
		{&db.stmts.termsAdd, termsAddSQL, true},
	} {
		if s.write && db.readOnly {
			continue
		}
		st, err := db.db.PrepareContext(ctx, s.sql)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		*s.stmt = st
	}
	return nil
}

// Close releases the lock (if held) and closes the database. A writable
// database first folds its write-ahead log into the database file and
// truncates it, so that the file alone holds everything (a copy, or a
// read-only open where the log cannot be read, sees it all); when another
// connection still reads, the log is left for the last one to fold.
func (db *DB) Close() error {
	if !db.readOnly {
		_, _ = db.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`) // best effort: busy when another process reads
	}
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
	if db.readOnly {
		return fmt.Errorf("lock %s: %w", db.path, ErrReadOnly)
	}
	l, err := acquire(db.path + ".lock")
	if err != nil {
		return err
	}
	db.lock = l
	return nil
}
