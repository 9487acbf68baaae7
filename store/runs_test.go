package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/harvest-archive/harvest"
)

// A run whose process was killed stays "running"; the next run closes it
// as interrupted, and leaves finished runs as they were. With the
// database's lock held, every such run is closed (no other process can be
// running); without it, those of the same walk.
func TestStaleRunClosedByTheNext(t *testing.T) {
	ctx := context.Background()
	for _, locked := range []bool{true, false} {
		var opts []Option
		if locked {
			opts = append(opts, WithLock())
		}
		db, err := Open(ctx, filepath.Join(t.TempDir(), "h.db"), opts...)
		if err != nil {
			t.Fatal(err)
		}
		a, err := db.NewWalk(ctx, "http://x/a", harvest.WalkFull, "http://x/a")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := db.NewWalk(ctx, "http://x/b", harvest.WalkFull, "http://x/b")
		done, _ := db.BeginRun(ctx, a)
		if err := db.FinishRun(ctx, done, harvest.RunSummary{Mode: harvest.WalkFull, Outcome: harvest.OutcomeComplete, Records: 7}); err != nil {
			t.Fatal(err)
		}
		db.BeginRun(ctx, a) // killed: never finished
		db.BeginRun(ctx, b) // killed too, another walk
		if _, err := db.BeginRun(ctx, a); err != nil {
			t.Fatal(err)
		}
		runs, err := db.Runs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		other := harvest.OutcomeRunning
		if locked {
			other = harvest.OutcomeInterrupted
		}
		want := []string{harvest.OutcomeComplete, harvest.OutcomeInterrupted, other, harvest.OutcomeRunning}
		for i, r := range runs {
			if i >= len(want) || r.Outcome != want[i] {
				t.Errorf("locked %v: run %d outcome %q, want %v", locked, i, r.Outcome, want)
			}
		}
		if runs[0].Records != 7 || runs[1].Message == "" {
			t.Errorf("locked %v: runs %+v", locked, runs[:2])
		}
		db.Close()
	}
}
