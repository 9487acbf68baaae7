package pgstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/store"
	"github.com/harvest-archive/harvest/store/pgstore"
	"github.com/harvest-archive/harvest/store/pgstore/pgtest"
)

// Workers that start together on a new database migrate it once: none
// fails, and each finds the newest schema.
func TestMigrateConcurrently(t *testing.T) {
	u := pgtest.URL(t)
	ctx := context.Background()
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	dbs := make([]*pgstore.DB, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = pgstore.Open(ctx, u)
		}()
	}
	wg.Wait()
	want := -1
	for i, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v", i, err)
		}
		defer dbs[i].Close()
		v, err := dbs[i].SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want >= 0 && v != want {
			t.Errorf("worker %d sees schema version %d, another %d", i, v, want)
		}
		want = v
	}
	if want < 6 {
		t.Errorf("schema version %d, want at least 6", want)
	}
}

// Lock is held by one process (session) at a time; closing frees it.
func TestLockIsExclusive(t *testing.T) {
	u := pgtest.URL(t)
	ctx := context.Background()
	a, err := pgstore.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Lock(); err != nil {
		t.Fatal(err)
	}
	b, err := pgstore.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Lock(); !errors.Is(err, harvest.ErrLocked) {
		t.Fatalf("second Lock: %v, want ErrLocked", err)
	}
	a.Close()
	if err := b.Lock(); err != nil {
		t.Fatalf("Lock after the holder closed: %v", err)
	}
}

// A read-only open neither migrates nor writes, and refuses what is not a
// harvest database.
func TestReadOnly(t *testing.T) {
	u := pgtest.URL(t)
	ctx := context.Background()
	if _, err := pgstore.Open(ctx, u, pgstore.ReadOnly()); err == nil {
		t.Fatal("read-only open of an empty schema succeeded")
	}
	w, err := pgstore.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	r, err := pgstore.Open(ctx, u, pgstore.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.NewWalk(ctx, "http://x/", harvest.WalkFull, "http://x/"); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("NewWalk on a read-only store: %v, want ErrReadOnly", err)
	}
	if err := r.Lock(); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("Lock on a read-only store: %v, want ErrReadOnly", err)
	}
}

// The address shown in messages hides the password.
func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://u:secret@h/db", "postgres://u:xxxxx@h/db"},
		{"postgres://u@h/db?password=secret", "postgres://u@h/db?password=xxxxx"},
		{"postgresql://h/db", "postgresql://h/db"},
	} {
		if got := pgstore.Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// store.OpenBackend opens a postgres:// address as this store.
func TestOpenBackendRegistered(t *testing.T) {
	b, err := store.OpenBackend(context.Background(), pgtest.URL(t), store.OpenOptions{Lock: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, ok := b.(*pgstore.DB); !ok {
		t.Errorf("OpenBackend is a %T, want *pgstore.DB", b)
	}
}

// JoinWalk begins a walk, joins it while it runs, joins it once finished
// only for a worker that began before it finished, and else begins anew.
func TestJoinWalk(t *testing.T) {
	ctx := context.Background()
	db, err := pgstore.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const start = "http://example.org/search"
	before := time.Now().Add(-time.Hour)
	w, joined, err := db.JoinWalk(ctx, start, start, time.Minute, before)
	if err != nil || joined {
		t.Fatalf("first JoinWalk: joined %v, %v", joined, err)
	}
	if ok, _ := db.Claim(ctx, w.ID, start, "", time.Minute); !ok {
		t.Error("the first page is not this worker's after it began the walk")
	}
	w2, joined, err := db.JoinWalk(ctx, start, start, time.Minute, before)
	if err != nil || !joined || w2.ID != w.ID {
		t.Fatalf("JoinWalk of a walk in progress: walk %d (want %d), joined %v, %v", w2.ID, w.ID, joined, err)
	}
	if err := db.FinishWalk(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	if w3, joined, err := db.JoinWalk(ctx, start, start, time.Minute, before); err != nil || !joined || w3.ID != w.ID {
		t.Errorf("a worker that began before the walk finished: walk %d (want %d), joined %v, %v", w3.ID, w.ID, joined, err)
	}
	if w4, joined, err := db.JoinWalk(ctx, start, start, time.Minute, time.Now().Add(time.Hour)); err != nil || joined || w4.ID == w.ID {
		t.Errorf("a worker that began after the walk finished: walk %d (the old is %d), joined %v, %v", w4.ID, w.ID, joined, err)
	}
}
