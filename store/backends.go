package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// OpenOptions say how OpenBackend opens a database.
type OpenOptions struct {
	// ReadOnly opens an existing database for reading (export, stats,
	// history): no migration, no write, no lock.
	ReadOnly bool
	// Lock takes the database for this process alone before anything else
	// (see DB.Lock); a second holder gets harvest.ErrLocked.
	Lock bool
	// Now, when set, gives the time stamps (tests).
	Now func() time.Time
}

// An Opener opens a database of one kind from its address.
type Opener func(ctx context.Context, dsn string, o OpenOptions) (Backend, error)

var (
	openersMu sync.Mutex
	openers   = map[string]Opener{} // by address prefix, such as "postgres://"
)

// Register makes OpenBackend open addresses that begin with prefix (such as
// "postgres://") with open. Packages of other backends call it from init, so
// that the store package need not import them (package pgstore does).
func Register(prefix string, open Opener) {
	openersMu.Lock()
	defer openersMu.Unlock()
	openers[prefix] = open
}

// IsFile reports whether dsn names a SQLite file rather than a database
// server: anything but an address of the form scheme://... .
func IsFile(dsn string) bool {
	i := strings.Index(dsn, "://")
	return i <= 0 || strings.ContainsAny(dsn[:i], `/\.`)
}

// OpenBackend opens the harvest database dsn names: a file path is a SQLite
// database (Open or OpenReadOnly); an address such as postgres://... is
// opened by the backend registered for it.
func OpenBackend(ctx context.Context, dsn string, o OpenOptions) (Backend, error) {
	if IsFile(dsn) {
		if o.ReadOnly {
			db, err := OpenReadOnly(ctx, dsn)
			if err != nil {
				return nil, err
			}
			if o.Now != nil {
				db.Now = o.Now
			}
			return db, nil
		}
		opts := []Option{WithClock(o.Now)}
		if o.Lock {
			opts = append(opts, WithLock())
		}
		return Open(ctx, dsn, opts...)
	}
	openersMu.Lock()
	var open Opener
	best := 0
	for prefix, fn := range openers {
		if strings.HasPrefix(dsn, prefix) && len(prefix) > best {
			open, best = fn, len(prefix)
		}
	}
	openersMu.Unlock()
	if open == nil {
		scheme, _, _ := strings.Cut(dsn, "://")
		return nil, fmt.Errorf("open database: no backend for %s:// addresses (a file path opens SQLite)", scheme)
	}
	return open(ctx, dsn, o)
}
