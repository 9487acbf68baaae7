package crawler_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/charmap"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/fetch"
	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/store"
)

func uri(srv *fixtures.Server, page int) string {
	return strings.TrimPrefix(srv.ListingURL(page), srv.URL)
}

// Whatever the network and the site throw, the database ends equal to the
// archive: nothing lost, nothing doubled.
func TestCrawlSurvivesFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults func(srv *fixtures.Server)
		check  func(t *testing.T, srv *fixtures.Server)
	}{
		{name: "500 twice", faults: func(s *fixtures.Server) {
			s.Inject(uri(s, 2), fixtures.Fault{Status: 500}, fixtures.Fault{Status: 500})
		}},
		{name: "503 and 502", faults: func(s *fixtures.Server) {
			s.Inject(uri(s, 1), fixtures.Fault{Status: 503})
			s.Inject(uri(s, 4), fixtures.Fault{Status: 502})
		}},
		{name: "429 with Retry-After in seconds", faults: func(s *fixtures.Server) {
			s.Inject(uri(s, 3), fixtures.Fault{Status: 429, RetryAfter: "1"})
		}, check: func(t *testing.T, s *fixtures.Server) { wantPauseAfter(t, s, 429, time.Second) }},
		{name: "503 with Retry-After as an HTTP date", faults: func(s *fixtures.Server) {
			s.Inject(uri(s, 3), fixtures.Fault{Status: 503, RetryAfter: time.Now().Add(4 * time.Second).UTC().Format(http.TimeFormat)})
		}, check: func(t *testing.T, s *fixtures.Server) { wantPauseAfter(t, s, 503, 900*time.Millisecond) }},
		{name: "connection reset", faults: func(s *fixtures.Server) {
			s.Inject(uri(s, 2), fixtures.Fault{Reset: true}, fixtures.Fault{Reset: true})
		}},
		{name: "truncated body", faults: func(s *fixtures.Server) {
			s.Inject(uri(s, 5), fixtures.Fault{Truncate: true})
			s.Inject(uri(s, 0), fixtures.Fault{Truncate: true})
		}},
		{name: "slow past the timeout", faults: func(s *fixtures.Server) {
			s.Inject(uri(s, 6), fixtures.Fault{Delay: 3 * time.Second})
		}},
		{name: "everything at once", faults: func(s *fixtures.Server) {
			s.Inject(uri(s, 0), fixtures.Fault{Status: 500})
			s.Inject(uri(s, 1), fixtures.Fault{Reset: true}, fixtures.Fault{Truncate: true})
			s.Inject(uri(s, 2), fixtures.Fault{Status: 429, RetryAfter: "0"}, fixtures.Fault{Status: 503})
			s.Inject(uri(s, 7), fixtures.Fault{Delay: 3 * time.Second}, fixtures.Fault{Status: 504})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, 95)
			tt.faults(srv)
			db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
			cfg := testConfig(srv.ListingURL(0))
			cfg.Timeout = 500 * time.Millisecond
			sum, err := crawl(t, db, cfg)
			if err != nil {
				t.Fatalf("crawl: %v (%+v)", err, sum)
			}
			if diff := cmp.Diff(wantDocs(srv, srv.Archive.Docs()), gotDocs(stored(t, db))); diff != "" {
				t.Errorf("stored (-want +got):\n%s", diff)
			}
			if sum.Pages != 10 || sum.New != 95 || sum.FailedPages != 0 {
				t.Errorf("summary %+v; want 10 pages, 95 new", sum)
			}
			if tt.check != nil {
				tt.check(t, srv)
			}
		})
	}
}

// wantPauseAfter checks that the request after the first answer of that
// status came at least d later.
func wantPauseAfter(t *testing.T, srv *fixtures.Server, status int, d time.Duration) {
	t.Helper()
	log := srv.Log()
	for i, h := range log[:len(log)-1] {
		if h.Status == status {
			if gap := log[i+1].Start.Sub(h.Start); gap < d {
				t.Errorf("next request %v after the %d, want at least %v", gap, status, d)
			}
			return
		}
	}
	t.Errorf("no %d answered", status)
}

// A page that fails for good is recorded with its status and error; the run
// ends partial with a one-line summary, and the next run fetches that page
// first and completes the walk.
func TestCrawlRecordsFailedPagesAndRetriesThemFirst(t *testing.T) {
	srv := serve(t, 100)
	var bad []fixtures.Fault
	for i := 0; i < 3; i++ {
		bad = append(bad, fixtures.Fault{Status: 500})
	}
	srv.Inject(uri(srv, 4), bad...) // as many as the tries
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := testConfig(srv.ListingURL(0))
	cfg.Retries = 2
	sum, err := crawl(t, db, cfg)
	if !errors.Is(err, harvest.ErrPartial) {
		t.Fatalf("err = %v, want partial", err)
	}
	if !strings.Contains(err.Error(), srv.ListingURL(4)) || !strings.Contains(err.Error(), "HTTP 500") || strings.Contains(err.Error(), "\n") {
		t.Errorf("summary line %q does not name the failed page and its status on one line", err)
	}
	if sum.FailedPages != 1 || sum.Pages != 9 || sum.Outcome != harvest.OutcomePartial {
		t.Errorf("summary %+v; want 9 pages stored, 1 failed, partial", sum)
	}
	if got := srv.Hits(uri(srv, 4)); got != 3 {
		t.Errorf("page 4 tried %d times, want 1 + 2 retries", got)
	}
	walk, _ := db.LastWalk(context.Background(), srv.ListingURL(0))
	pages, _ := db.Frontier(context.Background(), walk.ID)
	var failed []store.FrontierPage
	for _, p := range pages {
		if p.State != "done" {
			failed = append(failed, p)
		}
	}
	if len(failed) != 1 || failed[0].URL != srv.ListingURL(4) || failed[0].State != "failed" || failed[0].Status != 500 || failed[0].Error == "" {
		t.Errorf("frontier pages not done: %+v; want page 4 failed with status 500 and its error", failed)
	}

	before := len(srv.Log())
	if _, err := crawl(t, db, testConfig(srv.ListingURL(0))); err != nil {
		t.Fatalf("second run: %v", err)
	}
	if log := srv.Log()[before:]; log[0].URI != "/robots.txt" || log[1].URI != uri(srv, 4) {
		t.Errorf("second run began with %s, %s; want robots.txt, then the failed page", log[0].URI, log[1].URI)
	}
	if diff := cmp.Diff(wantDocs(srv, srv.Archive.Docs()), gotDocs(stored(t, db))); diff != "" {
		t.Errorf("after the second run (-want +got):\n%s", diff)
	}
	for i := 0; i < 10; i++ {
		if i != 4 && srv.Hits(uri(srv, i)) != 1 {
			t.Errorf("page %d, stored by the first run, fetched again", i)
		}
	}
}

// 4xx other than 429 is not retried: the page is recorded as failed.
func TestCrawlDoesNotRetryClientErrors(t *testing.T) {
	for _, status := range []int{404, 410, 400} {
		srv := serve(t, 40)
		srv.Inject(uri(srv, 2), fixtures.Fault{Status: status})
		db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
		_, err := crawl(t, db, testConfig(srv.ListingURL(0)))
		if !errors.Is(err, harvest.ErrPartial) {
			t.Errorf("%d: err = %v, want partial", status, err)
		}
		if got := srv.Hits(uri(srv, 2)); got != 1 {
			t.Errorf("%d tried %d times, want once", status, got)
		}
	}
}

// robots.txt: a disallowed page is skipped and reported, never fetched; a
// Crawl-delay spaces the requests.
func TestCrawlObeysRobots(t *testing.T) {
	srv := serve(t, 60)
	srv.Robots = "User-agent: *\nDisallow: /search?page=3\nCrawl-delay: 0.2\n"
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	sum, err := crawl(t, db, testConfig(srv.ListingURL(0)))
	if !errors.Is(err, harvest.ErrPartial) || !strings.Contains(err.Error(), "robots.txt") {
		t.Fatalf("err = %v, want a partial run that names robots.txt", err)
	}
	if got := srv.Hits(uri(srv, 3)); got != 0 {
		t.Errorf("disallowed page fetched %d times", got)
	}
	if sum.Pages != 5 {
		t.Errorf("pages = %d, want all 6 but the disallowed one", sum.Pages)
	}
	log := srv.Log()
	for i := 1; i < len(log); i++ {
		// Spacing is kept between request starts at the client; the server sees
		// arrivals, a few milliseconds either way.
		if gap := log[i].Start.Sub(log[i-1].Start); gap < 190*time.Millisecond {
			t.Errorf("requests %d and %d only %v apart; Crawl-delay is 0.2 s", i-1, i, gap)
		}
	}

	// --ignore-robots fetches it.
	cfg := testConfig(srv.ListingURL(0))
	cfg.IgnoreRobots = true
	db2 := openDB(t, filepath.Join(t.TempDir(), "h2.db"))
	if _, err := crawl(t, db2, cfg); err != nil {
		t.Fatal(err)
	}
	if srv.Hits(uri(srv, 3)) != 1 || len(stored(t, db2)) != 60 {
		t.Errorf("with --ignore-robots: page 3 hits %d, records %d", srv.Hits(uri(srv, 3)), len(stored(t, db2)))
	}
}

// --delay spaces requests to the host, with a little jitter, even across retries.
func TestCrawlDelay(t *testing.T) {
	srv := serve(t, 50)
	srv.Inject(uri(srv, 2), fixtures.Fault{Status: 500})
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := testConfig(srv.ListingURL(0))
	cfg.Delay = 150 * time.Millisecond
	if _, err := crawl(t, db, cfg); err != nil {
		t.Fatal(err)
	}
	log := srv.Log()
	for i := 1; i < len(log); i++ {
		gap := log[i].Start.Sub(log[i-1].Start)
		if gap < 140*time.Millisecond || gap > 600*time.Millisecond { // arrivals: a few ms either way
			t.Errorf("gap between requests %d and %d = %v, want 150 ms plus jitter", i-1, i, gap)
		}
	}
}

// The crawl stays on the start host: an off-host next link or redirect is
// reported and not followed.
func TestCrawlStaysOnHost(t *testing.T) {
	other := serve(t, 30)
	srv := serve(t, 60)
	srv.Mangle = func(r *http.Request, body []byte) []byte {
		if r.URL.Query().Get("page") == "3" {
			return bytes.Replace(body, []byte(`href="?page=4" title="Go to next page"`), []byte(`href="`+other.ListingURL(4)+`" title="Go to next page"`), 1)
		}
		return body
	}
	srv.Inject(uri(srv, 2), fixtures.Fault{RedirectTo: other.ListingURL(2)})
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := testConfig(srv.ListingURL(0))
	sum, err := crawl(t, db, cfg)
	if !errors.Is(err, harvest.ErrPartial) {
		t.Fatalf("err = %v, want partial", err)
	}
	if other.Requests() != 0 {
		t.Errorf("the other host got %d requests", other.Requests())
	}
	if !strings.Contains(sum.Message, "another host") {
		t.Errorf("message %q does not report the other host", sum.Message)
	}
	if srv.Hits(uri(srv, 2)) != 1 {
		t.Errorf("off-host redirect retried: %d hits", srv.Hits(uri(srv, 2)))
	}
}

// A bot challenge stops the run with a message saying so; it is never stored
// as an empty listing.
func TestCrawlStopsAtChallenge(t *testing.T) {
	for _, status := range []int{403, 503, 200} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv := serve(t, 60)
			srv.Inject(uri(srv, 2), fixtures.Fault{Challenge: true, Status: status})
			db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
			sum, err := crawl(t, db, testConfig(srv.ListingURL(0)))
			if !errors.Is(err, harvest.ErrChallenge) || !strings.Contains(err.Error(), "refusing automated access") {
				t.Fatalf("err = %v, want the challenge reported", err)
			}
			if srv.Hits(uri(srv, 2)) != 1 {
				t.Errorf("the challenge was asked %d times; want once, no retry", srv.Hits(uri(srv, 2)))
			}
			// Nothing of the challenge is stored: the pages stored are whole
			// pages of the archive, and the challenge page is not among them.
			if got := len(stored(t, db)); got != sum.Pages*10 || sum.Pages < 2 {
				t.Errorf("%d pages stored with %d records", sum.Pages, got)
			}
			walk, _ := db.LastWalk(context.Background(), srv.ListingURL(0))
			pages, _ := db.Frontier(context.Background(), walk.ID)
			for _, p := range pages {
				if p.URL == srv.ListingURL(2) && p.State == "done" {
					t.Error("the challenge page is stored as a done page")
				}
			}
			if log := srv.Log(); status != 200 && log[len(log)-1].URI != uri(srv, 2) {
				t.Errorf("requests were sent after the challenge, the last %s", log[len(log)-1].URI)
			}
		})
	}
}

// Pages in windows-1251 or ISO-8859-1, declared in the header or only in
// <meta>, are stored as correct UTF-8; invalid bytes are replaced, and the
// page is flagged with a warning.
func TestCrawlDecodesCharsets(t *testing.T) {
	docs := []fixtures.Doc{
		{Slug: "zapiska", Title: "Записка А. Микояна в ЦК КПСС о положении в КНДР", DateText: "1956", Date: "1956", Summary: "Микоян сообщает о встрече."},
		{Slug: "rapport", Title: "Rapport de l'ambassadeur à Pyongyang, «Situation générale»", DateText: "May 1957", Date: "1957-05", Summary: "Déjà vu; naïve façade."},
	}
	tests := []struct {
		name        string
		enc         *charmap.Charmap
		contentType string
		meta        string
		invalid     bool
		doc         int
	}{
		{"windows-1251 in header", charmap.Windows1251, "text/html; charset=windows-1251", "", false, 0},
		{"windows-1251 in meta only", charmap.Windows1251, "text/html", "windows-1251", false, 0},
		{"iso-8859-1 in header", charmap.ISO8859_1, "text/html; charset=ISO-8859-1", "", false, 1},
		{"iso-8859-1 in meta only", charmap.ISO8859_1, "text/html", "iso-8859-1", false, 1},
		{"utf-8 with invalid bytes", nil, "text/html; charset=utf-8", "", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fixtures.NewServer(fixtures.NewArchiveOf(docs[tt.doc : tt.doc+1]))
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			srv.Mangle = func(r *http.Request, body []byte) []byte {
				if tt.meta != "" {
					body = bytes.Replace(body, []byte(`<meta charset="utf-8">`), []byte(`<meta charset="`+tt.meta+`">`), 1)
				}
				if tt.invalid {
					return bytes.Replace(body, []byte("Déjà"), []byte("D\xffjà"), 1)
				}
				out, err := tt.enc.NewEncoder().Bytes(body)
				if err != nil {
					t.Errorf("encode fixture: %v", err)
				}
				return out
			}
			srv.Inject("/search", fixtures.Fault{ContentType: tt.contentType})
			var logs bytes.Buffer
			db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
			cfg := testConfig(srv.ListingURL(0))
			cfg.IgnoreRobots = true
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			if _, err := crawl(t, db, cfg); err != nil {
				t.Fatal(err)
			}
			want := wantDocs(srv, docs[tt.doc:tt.doc+1])
			if tt.invalid {
				w := want[srv.URL+"/document/rapport"]
				w.Summary = "D\uFFFDjà vu; naïve façade."
				want[srv.URL+"/document/rapport"] = w
			}
			if diff := cmp.Diff(want, gotDocs(stored(t, db))); diff != "" {
				t.Errorf("stored (-want +got):\n%s", diff)
			}
			walk, _ := db.LastWalk(context.Background(), srv.ListingURL(0))
			pages, _ := db.Frontier(context.Background(), walk.ID)
			flagged := pages[0].InvalidBytes > 0
			if flagged != tt.invalid {
				t.Errorf("page flagged = %v (%+v), want %v", flagged, pages[0], tt.invalid)
			}
			if warned := strings.Contains(logs.String(), "not valid in its charset"); warned != tt.invalid {
				t.Errorf("warning logged = %v, want %v\n%s", warned, tt.invalid, logs.String())
			}
		})
	}
}

// --concurrency bounds the requests in flight to the host, counted by the
// server; retries and workers that parse do not raise it.
func TestCrawlConcurrencyPerHost(t *testing.T) {
	for _, n := range []int{1, 3} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			srv := serve(t, 150)
			srv.Latency = 20 * time.Millisecond
			srv.Inject(uri(srv, 6), fixtures.Fault{Status: 503})
			db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
			cfg := testConfig(srv.ListingURL(0))
			cfg.Concurrency = n
			if _, err := crawl(t, db, cfg); err != nil {
				t.Fatal(err)
			}
			if got := srv.MaxInFlight(); got != n {
				t.Errorf("at most %d requests in flight, want %d", got, n)
			}
			if len(stored(t, db)) != 150 {
				t.Errorf("%d records, want 150", len(stored(t, db)))
			}
		})
	}
}

// A Crawl-delay as long as the request timeout fails no page: waiting for
// one's turn is not part of the time the server has to answer.
func TestCrawlDelayEqualToTimeout(t *testing.T) {
	srv := serve(t, 40)
	srv.Robots = "User-agent: *\nCrawl-delay: 0.5\n"
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := testConfig(srv.ListingURL(0))
	cfg.Timeout = 500 * time.Millisecond
	cfg.Concurrency = 3
	cfg.Retries = 0 // a page that timed out waiting would fail at once
	sum, err := crawl(t, db, cfg)
	if err != nil {
		t.Fatalf("crawl: %v (%+v)", err, sum)
	}
	if sum.Pages != 4 || sum.FailedPages != 0 || len(stored(t, db)) != 40 {
		t.Errorf("pages %d, failed %d, records %d; want 4, 0, 40", sum.Pages, sum.FailedPages, len(stored(t, db)))
	}
}

// robots.txt answering 5xx (after the retries) means nothing may be fetched
// (RFC 9309): no listing page is requested.
func TestRobotsServerErrorDisallowsAll(t *testing.T) {
	srv := serve(t, 30)
	srv.Inject("/robots.txt", fixtures.Fault{Status: 503}, fixtures.Fault{Status: 503}, fixtures.Fault{Status: 503}, fixtures.Fault{Status: 503}, fixtures.Fault{Status: 503})
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	_, err := crawl(t, db, testConfig(srv.ListingURL(0)))
	if !errors.Is(err, harvest.ErrPartial) || !strings.Contains(err.Error(), "robots.txt") {
		t.Fatalf("err = %v, want a partial run that names robots.txt", err)
	}
	for _, e := range srv.Log() {
		if e.URI != "/robots.txt" {
			t.Errorf("fetched %s although robots.txt answered 503", e.URI)
		}
	}
}

// failingRecorder fails every exchange after the first n.
type failingRecorder struct {
	mu sync.Mutex
	n  int
}

func (f *failingRecorder) Record(fetch.Exchange) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n <= 0 {
		return errors.New("no space left on device")
	}
	f.n--
	return nil
}

// When the captures cannot be written, the crawl stops fetching at once and
// says why: it does not go on taking pages it cannot keep.
func TestCrawlStopsWhenCaptureFails(t *testing.T) {
	srv := serve(t, 200)
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := testConfig(srv.ListingURL(0))
	cfg.Recorder = &failingRecorder{n: 4} // robots.txt and three pages
	_, err := crawl(t, db, cfg)
	if err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("err = %v, want the capture's failure", err)
	}
	if n := len(srv.Log()); n > 6 {
		t.Errorf("%d requests sent; the crawl went on after the captures failed", n)
	}
}
