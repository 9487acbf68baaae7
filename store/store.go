// Package store keeps harvested records in SQLite (modernc.org/sqlite, no
// cgo): the schema and its migrations, deduplicating upserts, the runs
// table, and the crawl frontier that lets an interrupted crawl resume.
// It knows nothing of HTML or HTTP.
package store

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/harvest-archive/harvest"
)

// DB is an open harvest database.
type DB struct {
	lockFirst bool // Open takes the lock before migrating (WithLock)
	db        *sql.DB
	path      string
	lock      *fileLock
	stmts     struct {
		sel, ins, upd, chg, touch                  *sql.Stmt // records
		enqueue, done, keep, cache, hash           *sql.Stmt
		reSel, reUpd, rePage, reFront              *sql.Stmt // re-parse // frontier and pages
		known                                      *sql.Stmt
		docSave                                    *sql.Stmt // documents.go
		docIndexed, ftsDetails, termsDel, termsAdd *sql.Stmt // index.go
	}
	// Now gives the time stamps; tests replace it (or pass WithClock).
	Now func() time.Time

	readOnly bool // opened by OpenReadOnly: no writes, no migrations
	version  int  // the schema version when opened

	mu     sync.Mutex    // guards totals: SavePages may be called from several goroutines
	totals map[int64]int // the total last written for each walk
}

func (db *DB) now() string { return harvest.FormatTime(db.Now()) }

// tx runs fn in a write transaction (BEGIN IMMEDIATE on a writable
// database), committed when fn returns nil.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if db.readOnly {
		return ErrReadOnly
	}
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

// each runs a query and calls scan for each row, then closes the rows and
// reports an error met while iterating.
func (db *DB) each(ctx context.Context, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := db.db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}

// lastTotal is the total last written for the walk.
func (db *DB) lastTotal(walkID int64) int {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.totals[walkID]
}

// setTotals notes the totals the pages wrote.
func (db *DB) setTotals(pages []harvest.PageResult) {
	db.mu.Lock()
	defer db.mu.Unlock()
	for _, p := range pages {
		if p.Total > 0 {
			db.totals[p.WalkID] = p.Total
		}
	}
}
