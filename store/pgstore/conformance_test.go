package pgstore_test

import (
	"context"
	"testing"

	"github.com/harvest-archive/harvest/store"
	"github.com/harvest-archive/harvest/store/pgstore"
	"github.com/harvest-archive/harvest/store/pgstore/pgtest"
	"github.com/harvest-archive/harvest/store/storetest"
)

// open opens a new, empty PostgreSQL store for the test.
func open(t *testing.T, opts ...pgstore.Option) *pgstore.DB {
	t.Helper()
	db, err := pgstore.Open(context.Background(), pgtest.URL(t), append([]pgstore.Option{pgstore.WithClock(storetest.Now(t))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// The PostgreSQL store meets the Backend specification, as the SQLite one
// does.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Backend { return open(t) })
}
