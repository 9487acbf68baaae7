package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/harvest-archive/harvest"
)

// Several processes may open a new database at the same moment (two cron
// jobs, a crawl and a stats): every one of them must succeed, and the schema
// must be migrated exactly once.
func TestConcurrentOpenOfANewDatabase(t *testing.T) {
	ctx := context.Background()
	const iterations = 50
	failures := 0
	var firstErr error
	for i := range iterations {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("race%d.db", i))
		openers := 2 + i%3
		errs := make([]error, openers)
		dbs := make([]*DB, openers)
		var wg sync.WaitGroup
		for k := range openers {
			wg.Go(func() { dbs[k], errs[k] = Open(ctx, path) })
		}
		wg.Wait()
		failed := false
		for k, err := range errs {
			if err != nil {
				failed = true
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			if v, err := dbs[k].SchemaVersion(ctx); err != nil || v != latestVersion() {
				t.Errorf("iteration %d: schema version %d, %v; want %d", i, v, err, latestVersion())
			}
			dbs[k].Close()
		}
		if failed {
			failures++
		}
	}
	if failures > 0 {
		t.Errorf("%d of %d concurrent opens of a new database failed; first error: %v", failures, iterations, firstErr)
	}
}

// The crawler saves pages from several goroutines; the store must not race
// with itself (run with -race).
func TestSavePagesFromTwoGoroutines(t *testing.T) {
	ctx := context.Background()
	db, _ := MustOpen(t)
	w, err := db.NewWalk(ctx, "http://x/search", harvest.WalkFull, "http://x/search")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for n := range 20 {
				p := harvest.PageResult{WalkID: w.ID, URL: fmt.Sprintf("http://x/search?page=%d-%d", g, n), Status: 200, Total: 100 + n,
					Records: []harvest.Record{rec(fmt.Sprintf("http://x/document/%d-%d", g, n), "T")}}
				if _, err := db.SavePages(ctx, []harvest.PageResult{p}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n, err := db.Count(ctx); err != nil || n != 40 {
		t.Errorf("count = %d, %v; want 40", n, err)
	}
}
