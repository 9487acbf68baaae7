package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
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
