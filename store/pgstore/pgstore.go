// Package pgstore keeps a harvest in PostgreSQL (github.com/jackc/pgx/v5 and
// its pool): the same tables and behaviour as the SQLite store, in
// PostgreSQL's dialect, for a harvest that several processes on several
// machines share. It implements store.Backend and is held to the same
// conformance suite (store/storetest). It knows nothing of HTML or HTTP.
//
// Importing the package registers it with store.OpenBackend for postgres://
// and postgresql:// addresses.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/store"
)

// DB is an open PostgreSQL harvest database.
type DB struct {
	pool *pgxpool.Pool
	name string // the address without its password, for messages
	// Now gives the time stamps; tests replace it (or pass WithClock).
	Now func() time.Time

	readOnly bool
	worker   string        // this process's name in leases and slots
	lock     *pgxpool.Conn // the session holding Lock's advisory lock

	mu     sync.Mutex    // guards totals
	totals map[int64]int // the total last written for each walk
}

var (
	_ store.Backend = (*DB)(nil)
	_ store.Reader  = (*DB)(nil)
)

// Option adjusts a database as Open opens it.
type Option func(*DB)

// WithClock makes now the source of the database's time stamps.
func WithClock(now func() time.Time) Option {
	return func(db *DB) {
		if now != nil {
			db.Now = now
		}
	}
}

// ReadOnly opens the database for reading: no migration, and every write
// fails with store.ErrReadOnly.
func ReadOnly() Option { return func(db *DB) { db.readOnly = true } }

// IsURL reports whether dsn names a PostgreSQL database (a postgres:// or
// postgresql:// URL) rather than a SQLite file.
func IsURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Redact returns the address without its password, fit for messages.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres database"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Open connects to the database at dsn (any libpq connection URL; a
// search_path parameter chooses the schema) and migrates its schema to the
// newest version under an advisory lock, so that workers starting together
// never race. A database migrated by a newer harvest is refused.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	db := &DB{name: Redact(dsn), Now: time.Now, totals: map[int64]int{}, worker: workerName()}
	for _, o := range opts {
		o(db)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", db.name, err)
	}
	if cfg.MaxConns < 4 {
		cfg.MaxConns = 4
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", db.name, err)
	}
	db.pool = pool
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open %s: %w", db.name, err)
	}
	if db.readOnly {
		err = db.checkVersion(ctx)
	} else {
		err = db.migrate(ctx)
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open %s: %w", db.name, err)
	}
	return db, nil
}

// Close releases the lock (if held) and the pool.
func (db *DB) Close() error {
	if db.lock != nil {
		_, _ = db.lock.Exec(context.Background(), `SELECT pg_advisory_unlock_all()`)
		db.lock.Release()
		db.lock = nil
	}
	db.pool.Close()
	return nil
}

// lockKey is the advisory lock key of the exclusive lock of the database's
// schema (Lock); migrateKey that of migrations.
const (
	lockKey    = `hashtext('harvest:lock:' || current_schema())`
	migrateKey = `hashtext('harvest:migrate:' || current_schema())`
)

// Lock takes the database for this process alone (a reparse must): a second
// holder gets harvest.ErrLocked at once. It is a session advisory lock,
// which the server drops when the process's connection ends, however it
// ends. A fleet of crawl workers shares the database and takes no such lock.
func (db *DB) Lock() error {
	if db.readOnly {
		return fmt.Errorf("lock %s: %w", db.name, store.ErrReadOnly)
	}
	ctx := context.Background()
	c, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("lock %s: %w", db.name, err)
	}
	var ok bool
	if err := c.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+lockKey+`)`).Scan(&ok); err != nil {
		c.Release()
		return fmt.Errorf("lock %s: %w", db.name, err)
	}
	if !ok {
		c.Release()
		return fmt.Errorf("%s: %w", db.name, harvest.ErrLocked)
	}
	db.lock = c
	return nil
}

func (db *DB) now() string { return harvest.FormatTime(db.Now()) }

// retryable tells a transaction PostgreSQL aborted to resolve a conflict
// with another one (a deadlock, a serialization failure): run it again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// tx runs fn in a transaction, committed when fn returns nil, run again
// when PostgreSQL aborted it for a conflict with another worker's.
func (db *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	if db.readOnly {
		return store.ErrReadOnly
	}
	for attempt := 0; ; attempt++ {
		err := pgx.BeginFunc(ctx, db.pool, fn)
		if err == nil || !retryable(err) || attempt >= 5 {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
	}
}

// exec runs one writing statement.
func (db *DB) exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if db.readOnly {
		return pgconn.CommandTag{}, store.ErrReadOnly
	}
	return db.pool.Exec(ctx, sql, args...)
}

// each runs a query and calls scan for each row.
func each(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, sql string, args []any, scan func(pgx.Rows) error) error {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (db *DB) lastTotal(walkID int64) int {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.totals[walkID]
}

func (db *DB) setTotals(pages []harvest.PageResult) {
	db.mu.Lock()
	defer db.mu.Unlock()
	for _, p := range pages {
		if p.Total > 0 {
			db.totals[p.WalkID] = p.Total
		}
	}
}

// parseTime reads a stored time stamp; "" is the zero time.
func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

func init() {
	open := func(ctx context.Context, dsn string, o store.OpenOptions) (store.Backend, error) {
		opts := []Option{WithClock(o.Now)}
		if o.ReadOnly {
			opts = append(opts, ReadOnly())
		}
		db, err := Open(ctx, dsn, opts...)
		if err != nil {
			return nil, err
		}
		if o.Lock {
			if err := db.Lock(); err != nil {
				db.Close()
				return nil, err
			}
		}
		return db, nil
	}
	store.Register("postgres://", open)
	store.Register("postgresql://", open)
}
