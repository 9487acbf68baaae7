package pgstore_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/crawler"
	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/store/pgstore"
	"github.com/harvest-archive/harvest/store/pgstore/pgtest"
)

// fleetConfig is a polite config for a fleet worker: limit requests in
// flight to the host and delay between starts, for the whole fleet.
func fleetConfig(db *pgstore.DB, start string, delay time.Duration, limit int, lease time.Duration) crawler.Config {
	cfg := crawler.DefaultConfig(start)
	cfg.Delay, cfg.Concurrency, cfg.Backoff, cfg.Timeout, cfg.Lease = delay, limit, time.Millisecond, 5*time.Second, lease
	cfg.Limiter = db.HostGate(delay, limit, cfg.Timeout+time.Second)
	return cfg
}

// Three workers started together on one database share one walk: every
// page is fetched once (leases renewed while pages wait their turn), every record stored once, the host's limits hold for
// the fleet (never more than the limit in flight, never two starts closer
// than the delay), and one of them finishes the walk.
func TestFleetSharesOneWalk(t *testing.T) {
	ctx := context.Background()
	const delay, limit, docs = 60 * time.Millisecond, 2, 150
	srv := fixtures.NewServer(fixtures.NewArchive(docs, 5))
	srv.MinGap = delay * 7 / 10 // leeway for the time between a grant and the server's clock
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	u := pgtest.URL(t)

	var wg sync.WaitGroup
	sums := make([]harvest.RunSummary, 3)
	errs := make([]error, 3)
	for i := range 3 {
		db, err := pgstore.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A lease shorter than pages wait at the gate (3 workers claim
			// up to 4 pages each, 60 ms apart): only the heartbeat that
			// renews them keeps another worker from taking them meanwhile.
			sums[i], errs[i] = crawler.Run(ctx, fleetConfig(db, srv.ListingURL(0), delay, limit, 400*time.Millisecond), db)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v", i, err)
		}
	}
	checkFleet(t, u, srv, docs, limit)
	finishers := 0
	for i, s := range sums {
		// How the pages fall to the workers is a matter of timing: on one
		// host, the shared gate, not the workers, sets the pace.
		t.Logf("worker %d: %d pages, %d requests: %s", i, s.Pages, s.Requests, s.Message)
		if s.Message == "" || s.Gone > 0 {
			finishers++
		}
	}
	if finishers != 1 {
		t.Errorf("%d workers finished the walk, want 1: %+v", finishers, sums)
	}
}

// A worker that dies holding leases holds its pages only until the leases
// run out: the others wait for them, then fetch them, and finish the walk.
func TestFleetTakesUpADeadWorkersPages(t *testing.T) {
	ctx := context.Background()
	const delay, limit, docs, lease = 5 * time.Millisecond, 2, 60, 1500 * time.Millisecond
	srv := fixtures.NewServer(fixtures.NewArchive(docs, 9))
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	u := pgtest.URL(t)

	// The dead worker began the walk and leased pages 0 and 3, and died.
	dead, err := pgstore.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	w, joined, err := dead.JoinWalk(ctx, srv.ListingURL(0), srv.ListingURL(0), lease, time.Now())
	if err != nil || joined {
		t.Fatalf("JoinWalk: %v, joined %v", err, joined)
	}
	if ok, err := dead.Claim(ctx, w.ID, srv.ListingURL(3), "", lease); !ok || err != nil {
		t.Fatalf("Claim: %v %v", ok, err)
	}
	diedAt := time.Now()
	dead.Close()

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		db, err := pgstore.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = crawler.Run(ctx, fleetConfig(db, srv.ListingURL(0), delay, limit, lease), db)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v", i, err)
		}
	}
	for _, h := range srv.Log() {
		if (h.URI == "/search" || h.URI == "/search?page=3") && h.Start.Sub(diedAt) < lease-100*time.Millisecond {
			t.Errorf("%s fetched %s after the dead worker's lease was taken, before it ran out", h.URI, h.Start.Sub(diedAt))
		}
	}
	checkFleet(t, u, srv, docs, limit)
}

// checkFleet checks a fleet's finished walk: the walk complete with every
// record once, each listing page fetched once, the host's limits kept.
func checkFleet(t *testing.T, u string, srv *fixtures.Server, docs, limit int) {
	t.Helper()
	ctx := context.Background()
	db, err := pgstore.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seen := map[string]int{}
	if err := db.Records(ctx, func(r harvest.Record) error { seen[r.URL]++; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != docs {
		t.Errorf("%d records stored, want %d", len(seen), docs)
	}
	for u, n := range seen {
		if n != 1 {
			t.Errorf("%s stored %d times", u, n)
		}
	}
	hits := map[string]int{}
	for _, h := range srv.Log() {
		hits[h.URI]++
	}
	pages := (docs + 9) / 10
	for k := range pages {
		uri := "/search"
		if k > 0 {
			uri = fmt.Sprintf("/search?page=%d", k)
		}
		if hits[uri] != 1 {
			t.Errorf("%s fetched %d times, want once", uri, hits[uri])
		}
	}
	if m := srv.MaxInFlight(); m > limit {
		t.Errorf("%d requests in flight at once, want at most %d", m, limit)
	}
	if v := srv.Violations(); v > 0 {
		t.Errorf("%d requests started sooner than the delay after the one before", v)
	}
	s, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Listings) != 1 || s.Listings[0].Seen != docs {
		t.Errorf("stats: %+v, want one finished walk that saw %d records", s.Listings, docs)
	}
}

// A worker stopped with Ctrl-C (its context cancelled) gives its leases back:
// another worker takes its pages at once, not after the lease runs out.
func TestFleetInterruptedWorkerReleasesLeases(t *testing.T) {
	ctx := context.Background()
	const delay, limit, docs, lease = 20 * time.Millisecond, 2, 120, time.Hour
	srv := fixtures.NewServer(fixtures.NewArchive(docs, 13))
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	u := pgtest.URL(t)
	a, err := pgstore.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	actx, cancel := context.WithCancel(ctx)
	srv.OnRequest = func(*http.Request) {
		if srv.Requests() == 6 {
			cancel()
		}
	}
	if _, err := crawler.Run(actx, fleetConfig(a, srv.ListingURL(0), delay, limit, lease), a); err == nil {
		t.Fatal("the interrupted worker reports no error")
	}
	b, err := pgstore.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	bctx, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	if _, err := crawler.Run(bctx, fleetConfig(b, srv.ListingURL(0), delay, limit, lease), b); err != nil {
		t.Fatalf("the second worker: %v (waiting on leases the first kept?)", err)
	}
	n := 0
	if err := b.Records(ctx, func(harvest.Record) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != docs {
		t.Errorf("%d records, want %d", n, docs)
	}
}
