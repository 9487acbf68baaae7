package crawler_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/parser"
)

// newestFirst is the auto profile for a listing whose default order is
// newest first, as the fixture archive's is.
func newestFirst(t testing.TB) parser.Profile {
	t.Helper()
	p, err := parser.Lookup("auto")
	if err != nil {
		t.Fatal(err)
	}
	p.NewestFirst = true
	return p
}

// listingHits counts the listing requests the server answered since from.
func listingHits(srv *fixtures.Server, from int) (n int) {
	for _, h := range srv.Log()[from:] {
		if strings.HasPrefix(h.URI, "/search") {
			n++
		}
	}
	return n
}

// Documents published, or withdrawn, at the top of the listing while the crawl
// walks it shift every later page; the finished database holds every
// document the listing shows, each once.
func TestCrawlRepairsDrift(t *testing.T) {
	tests := []struct {
		name        string
		concurrency int
		change      func(a *fixtures.Archive)
	}{
		{"7 published, one page at a time", 1, func(a *fixtures.Archive) { a.Publish(7) }},
		{"13 published, 4 pages at a time", 4, func(a *fixtures.Archive) { a.Publish(13) }},
		{"3 withdrawn, 3 pages at a time", 3, func(a *fixtures.Archive) {
			for i := 0; i < 3; i++ {
				a.Withdraw(0)
			}
		}},
		{"4 published as 4 are withdrawn, one page at a time", 1, func(a *fixtures.Archive) {
			for i := 0; i < 4; i++ {
				a.Withdraw(a.Len() - 1)
			}
			a.Publish(4)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, 200)
			var once sync.Once
			srv.OnRequest = func(r *http.Request) {
				if r.URL.Query().Get("page") == "9" {
					once.Do(func() { tt.change(srv.Archive) })
				}
			}
			db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
			cfg := testConfig(srv.ListingURL(0))
			cfg.Concurrency = tt.concurrency
			sum, err := crawl(t, db, cfg)
			if err != nil {
				t.Fatal(err)
			}
			want := wantDocs(srv, srv.Archive.Docs())
			got := gotDocs(stored(t, db))
			for u := range got {
				if _, ok := want[u]; !ok {
					delete(got, u) // withdrawn while the walk ran: kept, marked gone by the next walk
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stored (-want +got):\n%s", diff)
			}
			if sum.Repaired == 0 {
				t.Error("no page was fetched again to repair the drift")
			}
			t.Logf("%d pages, %d fetched again, %d requests", sum.Pages, sum.Repaired, sum.Requests)
		})
	}
}

// --incremental: after a full crawl and 10 new documents, a few requests add
// the 10; with nothing new, one listing request.
func TestIncremental(t *testing.T) {
	srv := serve(t, 300)
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := testConfig(srv.ListingURL(0))
	cfg.Profile = newestFirst(t)
	cfg.Concurrency = 4
	if _, err := crawl(t, db, cfg); err != nil {
		t.Fatal(err)
	}
	full := len(srv.Log())

	added := srv.Archive.Publish(10)
	cfg.Incremental = true
	from := len(srv.Log())
	sum, err := crawl(t, db, cfg)
	incremental := len(srv.Log()) - from
	if err != nil {
		t.Fatal(err)
	}
	if sum.New != 10 || sum.Mode != harvest.WalkIncremental {
		t.Errorf("incremental run %+v; want 10 new", sum)
	}
	if n := listingHits(srv, from); n >= 10 {
		t.Errorf("incremental run asked for %d listing pages, want fewer than 10", n)
	}
	recs := stored(t, db)
	for _, d := range added {
		if _, ok := recs[srv.URL+d.Path()]; !ok {
			t.Errorf("new document %s not stored", d.Slug)
		}
	}
	if len(recs) != 310 {
		t.Errorf("%d records, want 310", len(recs))
	}

	from = len(srv.Log())
	sum, err = crawl(t, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(srv.Log()) - from; got > 2 || sum.New != 0 {
		t.Errorf("with nothing new: %d requests, %d new; want at most 2 requests", got, sum.New)
	}
	t.Logf("requests: full crawl %d, incremental with 10 new %d, with nothing new %d", full, incremental, len(srv.Log())-from)
}

// --incremental on a listing with no known newest-first order says so and
// walks the whole listing.
func TestIncrementalWithoutOrder(t *testing.T) {
	srv := serve(t, 50)
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := testConfig(srv.ListingURL(0))
	cfg.Incremental = true
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	sum, err := crawl(t, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Mode != harvest.WalkFull || sum.Pages != 5 {
		t.Errorf("%+v; want a full walk of 5 pages", sum)
	}
	if !strings.Contains(logs.String(), "knows no newest-first order") {
		t.Errorf("--incremental did not say it walks the whole listing:\n%s", logs.String())
	}
	// As information: a nightly run under --quiet prints nothing for it.
	if strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("said as a warning:\n%s", logs.String())
	}
}

// A re-crawl against a server that honours conditional requests downloads no
// unchanged body: every listing page answers 304.
func TestConditionalRequests(t *testing.T) {
	srv := serve(t, 120)
	srv.Conditional = true
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := testConfig(srv.ListingURL(0))
	cfg.Concurrency = 3
	if _, err := crawl(t, db, cfg); err != nil {
		t.Fatal(err)
	}
	from := len(srv.Log())
	sum, err := crawl(t, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range srv.Log()[from:] {
		if strings.HasPrefix(h.URI, "/search") && h.Status != http.StatusNotModified {
			t.Errorf("%s answered %d, want 304", h.URI, h.Status)
		}
		if strings.HasPrefix(h.URI, "/search") && h.Headers.Get("If-None-Match") == "" {
			t.Errorf("%s asked without If-None-Match", h.URI)
		}
	}
	if sum.NotModified != 12 || sum.Unchanged != 120 || sum.New != 0 || sum.Records != 120 || sum.Gone != 0 {
		t.Errorf("%+v; want 12 pages not modified, 120 unchanged records seen", sum)
	}

	// A changed page is downloaded again.
	srv.Archive.SetTitle(15, "A retitled document")
	sum, err = crawl(t, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Updated != 1 || sum.NotModified != 11 {
		t.Errorf("%+v; want 1 updated, 11 not modified", sum)
	}
	if got := srv.Hits(uri(srv, 1)); got != 3 {
		t.Errorf("page 1 asked %d times", got)
	}
}

// Edited titles are kept as versions, with old and new values; a withdrawn
// document is marked gone, not deleted.
func TestChangesAndGone(t *testing.T) {
	srv := serve(t, 80)
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := testConfig(srv.ListingURL(0))
	if _, err := crawl(t, db, cfg); err != nil {
		t.Fatal(err)
	}
	docs := srv.Archive.Docs()
	var want []harvest.Change
	for _, i := range []int{3, 41, 77} {
		title := "Revised: " + docs[i].Title
		srv.Archive.SetTitle(i, title)
		want = append(want, harvest.Change{URL: srv.URL + docs[i].Path(), Field: "title", Old: docs[i].Title, New: title})
	}
	gone := srv.Archive.Withdraw(50)
	sum, err := crawl(t, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Updated != 3 || sum.Gone != 1 {
		t.Errorf("%+v; want 3 updated, 1 gone", sum)
	}
	var got []harvest.Change
	db.Changes(context.Background(), "", func(c harvest.Change) error {
		if c.Field != "gone" {
			c.ChangedAt, c.ListingURL = time.Time{}, ""
			got = append(got, c)
		}
		return nil
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	recs := stored(t, db)
	g, ok := recs[srv.URL+gone.Path()]
	if !ok || g.GoneAt.IsZero() {
		t.Errorf("withdrawn document: stored %v, gone at %v; want kept and marked gone", ok, g.GoneAt)
	}
	if len(recs) != 80 {
		t.Errorf("%d records, want all 80 kept", len(recs))
	}
	var history []harvest.Change
	db.Changes(context.Background(), srv.URL+gone.Path(), func(c harvest.Change) error { history = append(history, c); return nil })
	if len(history) != 1 || history[0].Field != "gone" {
		t.Errorf("history of the withdrawn document = %+v", history)
	}
}
