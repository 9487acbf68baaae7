// Package store keeps harvested records in SQLite (modernc.org/sqlite, no
// cgo): the schema and its migrations, deduplicating upserts, the runs
// table, and the crawl frontier that lets an interrupted crawl resume.
// It knows nothing of HTML or HTTP.
package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/harvest-archive/harvest"
)

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

func (db *DB) now() string { return harvest.FormatTime(db.Now()) }

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
