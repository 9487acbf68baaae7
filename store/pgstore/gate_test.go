package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/harvest-archive/harvest/store/pgstore"
	"github.com/harvest-archive/harvest/store/pgstore/pgtest"
)

// Two workers' gates on one database keep one host's limits together: a
// slot one holds is not the other's, starts are spaced by the delay across
// them, a pause one is told of holds the other, and a slot a dead worker
// held runs out.
func TestHostGateAcrossWorkers(t *testing.T) {
	ctx := context.Background()
	u := pgtest.URL(t)
	open := func() *pgstore.DB {
		db, err := pgstore.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	const delay = 150 * time.Millisecond
	a, b := open().HostGate(delay, 1, time.Minute), open().HostGate(delay, 1, time.Minute)

	relA, err := a.Acquire(ctx, "h")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got := make(chan time.Time)
	go func() {
		rel, err := b.Acquire(ctx, "h")
		if err != nil {
			t.Error(err)
		}
		got <- time.Now()
		rel()
	}()
	time.Sleep(400 * time.Millisecond) // past the delay: only the slot holds b
	select {
	case <-got:
		t.Fatal("the second worker got a slot while the first held the host's only one")
	default:
	}
	relA()
	if at := <-got; at.Sub(start) < 400*time.Millisecond {
		t.Errorf("the second worker started %s after the first, before the first freed its slot", at.Sub(start))
	}

	// Spacing: two starts, one from each worker, at least the delay apart.
	r1, err := a.Acquire(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	t1 := time.Now()
	r1()
	r2, err := b.Acquire(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if gap := time.Since(t1); gap < delay-20*time.Millisecond {
		t.Errorf("starts %s apart across workers, want at least %s", gap, delay)
	}
	r2()

	// A pause told to one worker holds the other.
	a.Pause("p", time.Now().Add(500*time.Millisecond))
	t0 := time.Now()
	r3, err := b.Acquire(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	r3()
	if w := time.Since(t0); w < 400*time.Millisecond {
		t.Errorf("a pause of 500ms held the other worker %s", w)
	}

	// A dead worker's slot runs out after hold.
	dead := open().HostGate(0, 1, 300*time.Millisecond)
	if _, err := dead.Acquire(ctx, "d"); err != nil { // never released
		t.Fatal(err)
	}
	t0 = time.Now()
	ctx2, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r4, err := b.Acquire(ctx2, "d")
	if err != nil {
		t.Fatalf("a slot a dead worker held did not run out: %v", err)
	}
	r4()
	if w := time.Since(t0); w < 200*time.Millisecond {
		t.Errorf("the dead worker's slot was taken after %s, before it ran out", w)
	}
}
