package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/harvest-archive/harvest/store"
	"github.com/harvest-archive/harvest/store/storetest"
)

// The SQLite store meets the Backend specification.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Backend {
		db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), store.WithClock(storetest.Now(t)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
