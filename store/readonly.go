package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// minReadVersion is the oldest schema OpenReadOnly reads: the records,
// history, runs and walks that export, stats and history read were all
// there at version 3.
const minReadVersion = 3

// OpenReadOnly opens an existing database for reading only, as export, stats
// and history need: it never creates, migrates or writes (a write through it
// fails with ErrReadOnly or SQLite's read-only error), and takes no lock, so
// it may run while a crawl writes.
//
// A database from a newer harvest is refused, and so is one older than this
// harvest can read (before schema version 3), with a message saying to run a
// crawl, which upgrades it. One from version 3 or 4 is read as it is.
//
// A WAL database in a directory where the reader may not create the shared
// memory file (-shm) cannot be opened in SQLite's read-only mode; then, when
// no unmerged write-ahead log lies beside it, it is opened as immutable
// (nothing is writing it, as nothing can), and otherwise refused with an
// explanation.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db, err := openRO(ctx, path, false)
	if err != nil && cannotInitWAL(err) {
		if fi, werr := os.Stat(path + "-wal"); werr == nil && fi.Size() > 0 {
			return nil, fmt.Errorf("open %s read-only: its write-ahead log %s-wal holds changes not yet in the database, and they cannot be read without write access to its directory: open it once with write access (a crawl does) or read a copy: %w", path, path, err)
		}
		db, err = openRO(ctx, path, true)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s read-only: %w", path, err)
	}
	return db, nil
}

// openRO opens path in SQLite's read-only mode, immutable when asked, and
// checks that its schema is one this harvest reads.
func openRO(ctx context.Context, path string, immutable bool) (*DB, error) {
	q := url.Values{}
	q.Set("mode", "ro")
	if immutable {
		q.Set("immutable", "1")
	}
	dsn := "file:" + path + "?" + q.Encode() + "&_pragma=busy_timeout(10000)&_pragma=query_only(1)"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	sqldb.SetMaxOpenConns(1)
	db := &DB{db: sqldb, path: path, Now: time.Now, totals: map[int64]int{}, readOnly: true}
	if db.version, err = db.SchemaVersion(ctx); err != nil {
		sqldb.Close()
		return nil, err
	}
	if latest := latestVersion(); db.version > latest {
		sqldb.Close()
		return nil, errNewer(db.version, latest)
	}
	if db.version < minReadVersion {
		sqldb.Close()
		if db.version == 0 {
			return nil, errors.New("not a harvest database (it has no schema version)")
		}
		return nil, fmt.Errorf("database schema version %d is older than this harvest reads (%d): run a crawl with this harvest to upgrade it", db.version, minReadVersion)
	}
	if err := db.prepare(ctx); err != nil {
		sqldb.Close()
		return nil, err
	}
	return db, nil
}

// cannotInitWAL reports an error from reading a WAL database read-only where
// its shared-memory index cannot be created or opened.
func cannotInitWAL(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN:
		return true
	}
	return false
}
