package crawler_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/crawler"
	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/store"
)

// serve starts a fixture server for a generated archive of n documents.
func serve(t testing.TB, n int) *fixtures.Server {
	t.Helper()
	srv := fixtures.NewServer(fixtures.NewArchive(n, 7))
	srv.Robots = "User-agent: *\nDisallow: /admin/\n"
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func openDB(t testing.TB, path string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// testConfig is the polite default turned down for a local server.
func testConfig(start string) crawler.Config {
	cfg := crawler.DefaultConfig(start)
	cfg.Delay = 0
	cfg.Backoff = time.Millisecond
	cfg.Timeout = 5 * time.Second
	return cfg
}

func crawl(t testing.TB, db *store.DB, cfg crawler.Config) (harvest.RunSummary, error) {
	t.Helper()
	return crawler.Run(context.Background(), cfg, db)
}

// stored is every record in the database, keyed by URL; it fails the test on
// a duplicate.
func stored(t testing.TB, db *store.DB) map[string]harvest.Record {
	t.Helper()
	out := map[string]harvest.Record{}
	err := db.Records(context.Background(), func(r harvest.Record) error {
		if _, dup := out[r.URL]; dup {
			t.Errorf("record %s stored twice", r.URL)
		}
		out[r.URL] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// docFields are the fields a harvest must get right, as the archive knows them.
type docFields struct{ URL, Title, Date, DateText, Summary string }

func wantDocs(srv *fixtures.Server, docs []fixtures.Doc) map[string]docFields {
	out := map[string]docFields{}
	for _, d := range docs {
		out[srv.URL+d.Path()] = docFields{srv.URL + d.Path(), d.Title, d.Date, d.DateText, d.Summary}
	}
	return out
}

func gotDocs(recs map[string]harvest.Record) map[string]docFields {
	out := map[string]docFields{}
	for u, r := range recs {
		out[u] = docFields{r.URL, r.Title, r.Date, r.DateText, r.Summary}
	}
	return out
}

// A crawl stores exactly the archive's documents, every field right, each
// once; a second crawl adds no row.
func TestCrawlStoresTheArchive(t *testing.T) {
	for _, n := range []int{286, 1000} {
		t.Run(fmt.Sprintf("%d docs", n), func(t *testing.T) {
			srv := serve(t, n)
			db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
			sum, err := crawl(t, db, testConfig(srv.ListingURL(0)))
			if err != nil {
				t.Fatal(err)
			}
			pages := (n + 9) / 10
			if sum.Pages != pages || sum.New != n || sum.Records != n || sum.TotalReported != n || sum.Outcome != harvest.OutcomeComplete {
				t.Errorf("summary = %+v; want %d pages, %d new records of %d", sum, pages, n, n)
			}
			if sum.Requests != pages+1 { // and robots.txt
				t.Errorf("requests = %d, want %d", sum.Requests, pages+1)
			}
			recs := stored(t, db)
			if diff := cmp.Diff(wantDocs(srv, srv.Archive.Docs()), gotDocs(recs)); diff != "" {
				t.Errorf("stored records (-want +got):\n%s", diff)
			}
			// Where each was seen.
			for i, d := range srv.Archive.Docs() {
				if got, want := recs[srv.URL+d.Path()].ListingURL, srv.ListingURL(i/10); got != want {
					t.Errorf("%s seen on %s, want %s", d.Slug, got, want)
					break
				}
			}

			again, err := crawl(t, db, testConfig(srv.ListingURL(0)))
			if err != nil {
				t.Fatal(err)
			}
			if again.New != 0 || again.Unchanged != n || again.Updated != 0 {
				t.Errorf("second crawl = %+v; want 0 new, %d unchanged", again, n)
			}
			if got := len(stored(t, db)); got != n {
				t.Errorf("after a second crawl %d rows, want %d", got, n)
			}
		})
	}
}

// The saved Wilson page's ten documents come out of the server's page=8 as
// SITE.md quotes them.
func TestCrawlStoresTheSavedWilsonPage(t *testing.T) {
	srv := serve(t, 286)
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	if _, err := crawl(t, db, testConfig(srv.ListingURL(0))); err != nil {
		t.Fatal(err)
	}
	recs := stored(t, db)
	for _, d := range fixtures.WilsonResults81() {
		r, ok := recs[srv.URL+d.Path()]
		if !ok {
			t.Errorf("%s missing", d.Slug)
			continue
		}
		if r.Title != d.Title || r.Summary != d.Summary || r.Date != d.Date || r.ListingURL != srv.ListingURL(8) {
			t.Errorf("%s stored as %+v", d.Slug, r)
		}
	}
}

// A filtered listing keeps its query string while paging.
func TestCrawlKeepsTheQueryWhilePaging(t *testing.T) {
	srv := serve(t, 500)
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	sum, err := crawl(t, db, testConfig(srv.URL+"/search?search_api_fulltext=Telegram"))
	if err != nil {
		t.Fatal(err)
	}
	var want []fixtures.Doc
	for _, d := range srv.Archive.Docs() {
		if strings.Contains(strings.ToLower(d.Title+" "+d.Summary), "telegram") {
			want = append(want, d)
		}
	}
	if len(want) < 20 {
		t.Fatalf("fixture has only %d matches; the test needs several pages", len(want))
	}
	if diff := cmp.Diff(wantDocs(srv, want), gotDocs(stored(t, db))); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
	if sum.TotalReported != len(want) {
		t.Errorf("total = %d, want %d", sum.TotalReported, len(want))
	}
}

// A next link that loops back is reported and not followed; the run ends
// partial, every page fetched once.
func TestCrawlPagerLoop(t *testing.T) {
	for _, tt := range []struct {
		name          string
		predictable   bool // the pager numbers pages so harvest queues them all
		pages, stored int
	}{
		{"pages queued from the total", true, 10, 100},
		{"next links only", false, 5, 50},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, 100)
			srv.Mangle = func(r *http.Request, body []byte) []byte {
				if !tt.predictable { // hide the total: pages can only be followed
					body = bytes.Replace(body, []byte(" of 100</div>"), []byte("</div>"), 1)
				}
				if r.URL.Query().Get("page") == "4" {
					return bytes.Replace(body, []byte(`href="?page=5" title="Go to next page"`), []byte(`href="?page=1" title="Go to next page"`), 1)
				}
				return body
			}
			db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
			sum, err := crawl(t, db, testConfig(srv.ListingURL(0)))
			if !errors.Is(err, harvest.ErrPartial) || !strings.Contains(err.Error(), "pager loops") {
				t.Fatalf("err = %v, want a partial run that names the pager loop", err)
			}
			if sum.Pages != tt.pages || len(stored(t, db)) != tt.stored {
				t.Errorf("pages %d, records %d; want %d pages, %d records", sum.Pages, len(stored(t, db)), tt.pages, tt.stored)
			}
			for _, h := range srv.Log() {
				if srv.Hits(h.URI) > 1 {
					t.Errorf("%s fetched %d times", h.URI, srv.Hits(h.URI))
				}
			}
		})
	}
}

// A page with no recognisable records fails, named; the walk goes on through
// its pager and every other page is stored.
func TestCrawlPageWithoutRecords(t *testing.T) {
	srv := serve(t, 100)
	srv.Mangle = func(r *http.Request, body []byte) []byte {
		if r.URL.Query().Get("page") == "3" {
			start := bytes.Index(body, []byte("<h2>Documents</h2>"))
			end := bytes.Index(body, []byte("</table>"))
			return append(append(append([]byte{}, body[:start]...), []byte("<p>This listing is being rebuilt. Please come back later.</p>")...), body[end+len("</table>"):]...)
		}
		return body
	}
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	sum, err := crawl(t, db, testConfig(srv.ListingURL(0)))
	if !errors.Is(err, harvest.ErrPartial) || !strings.Contains(err.Error(), srv.ListingURL(3)) || !strings.Contains(err.Error(), "no records") {
		t.Fatalf("err = %v, want a partial run naming page 3", err)
	}
	if sum.FailedPages != 1 || len(stored(t, db)) != 90 {
		t.Errorf("failed %d, stored %d; want 1 failed page and 90 records", sum.FailedPages, len(stored(t, db)))
	}
}

// --max-pages bounds a run; the next run goes on from there.
func TestCrawlMaxPagesThenResume(t *testing.T) {
	srv := serve(t, 100)
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := testConfig(srv.ListingURL(0))
	cfg.MaxPages = 4
	sum, err := crawl(t, db, cfg)
	if err != nil || sum.Pages != 4 || len(stored(t, db)) != 40 {
		t.Fatalf("bounded run: %+v, %v; want 4 pages, 40 records", sum, err)
	}
	cfg.MaxPages = 0
	sum, err = crawl(t, db, cfg)
	if err != nil || sum.Pages != 6 || len(stored(t, db)) != 100 {
		t.Fatalf("resumed run: %+v, %v; want 6 pages, 100 records", sum, err)
	}
	for i := 0; i < 10; i++ {
		if got := srv.Hits(strings.TrimPrefix(srv.ListingURL(i), srv.URL)); got != 1 {
			t.Errorf("page %d fetched %d times, want once", i, got)
		}
	}
}

// An archive of other markup, whose pager has page numbers only (?p=N from
// 1): the auto strategy finds its records, the pager's next number leads on,
// and once numbering is known every page is queued.
func TestCrawlAnotherArchiveByShape(t *testing.T) {
	srv := fixtures.NewServer(fixtures.NewArchive(230, 5))
	srv.Style = "cards"
	srv.Latency = 10 * time.Millisecond
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := testConfig(srv.URL + "/search")
	cfg.IgnoreRobots = true
	cfg.Concurrency = 3
	sum, err := crawl(t, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantDocs(srv, srv.Archive.Docs()), gotDocs(stored(t, db))); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
	if sum.Pages != 23 || sum.Requests != 23 || sum.TotalReported != 230 {
		t.Errorf("%+v; want 23 pages, 23 requests, total 230", sum)
	}
	if srv.MaxInFlight() < 2 {
		t.Errorf("pages were not fetched concurrently (at most %d in flight)", srv.MaxInFlight())
	}
}
