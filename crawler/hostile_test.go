package crawler_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/crawler"
	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/store"
)

// The hostile pagers, redirects and pages of issue 10, each through the
// fixture server's knob made for it.

// hostile starts a fixture server of archive a with the knobs set by set.
func hostile(t testing.TB, a *fixtures.Archive, set func(s *fixtures.Server)) *fixtures.Server {
	t.Helper()
	srv := fixtures.NewServer(a)
	set(srv)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// logged is a test config whose logger writes everything, debug included,
// to the returned buffer.
func logged(start string) (crawler.Config, *syncBuffer) {
	cfg := testConfig(start)
	cfg.IgnoreRobots = true
	var buf syncBuffer
	cfg.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return cfg, &buf
}

// syncBuffer is a bytes.Buffer that the crawl's goroutines may log to at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// wantServed is what the harvest must store of docs, keyed by the URL the
// server serves each at (fixtures.Server.DocURL).
func wantServed(srv *fixtures.Server, docs []fixtures.Doc) map[string]docFields {
	out := map[string]docFields{}
	for _, d := range docs {
		u := srv.DocURL(d)
		out[u] = docFields{u, d.Title, d.Date, d.DateText, d.Summary}
	}
	return out
}

// frontier is every page of the start URL's last walk.
func frontier(t testing.TB, db *store.DB, start string) []store.FrontierPage {
	t.Helper()
	walk, err := db.LastWalk(context.Background(), start)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := db.Frontier(context.Background(), walk.ID)
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

// A true total of more pages than harvest takes on trust is trusted once
// its last page is seen to hold records: every page is queued and fetched
// concurrently, each once, no request more than the pages; a run bounded by
// --max-pages and the next one that resumes it fetch each page once too.
func TestCrawlTrustsAConfirmedTotal(t *testing.T) {
	srv := serve(t, 2505)
	srv.Latency = time.Millisecond
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := testConfig(srv.ListingURL(0))
	cfg.Concurrency = 4
	sum, err := crawl(t, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Pages != 251 || sum.Requests != 252 || len(stored(t, db)) != 2505 || sum.TotalReported != 2505 {
		t.Errorf("%+v; want 251 pages in 252 requests, 2505 records", sum)
	}
	if srv.MaxInFlight() < 3 {
		t.Errorf("at most %d requests in flight: pages were not queued", srv.MaxInFlight())
	}

	srv2 := serve(t, 2505)
	db2 := openDB(t, filepath.Join(t.TempDir(), "h2.db"))
	cfg = testConfig(srv2.ListingURL(0))
	cfg.MaxPages = 5
	if sum, err := crawl(t, db2, cfg); err != nil || sum.Pages != 5 {
		t.Fatalf("bounded run: %+v, %v", sum, err)
	}
	cfg.MaxPages = 0
	if sum, err := crawl(t, db2, cfg); err != nil || len(stored(t, db2)) != 2505 {
		t.Fatalf("resumed run: %+v, %v, %d records", sum, err, len(stored(t, db2)))
	}
	for i := range 251 {
		if n := srv2.Hits(uri(srv2, i)); n != 1 {
			t.Errorf("page %d fetched %d times", i, n)
		}
	}
}

// A "no results" page with a reCAPTCHA in its search form is no bot
// challenge, whatever its status; and a record whose summary says "yielded
// no results" does not make its page empty.
func TestCrawlCaptchaFormsAndNoResultsText(t *testing.T) {
	t.Run("recaptcha in a form, 200", func(t *testing.T) {
		srv := hostile(t, fixtures.NewArchive(30, 7), func(s *fixtures.Server) { s.Recaptcha = true })
		db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
		cfg, _ := logged(srv.URL + "/search?search_api_fulltext=nothing")
		sum, err := crawl(t, db, cfg)
		if err != nil || sum.Outcome != harvest.OutcomeComplete || sum.Pages != 1 || len(stored(t, db)) != 0 {
			t.Errorf("err = %v, %+v; want a complete run of one empty page", err, sum)
		}
	})
	t.Run("recaptcha in a form, 403", func(t *testing.T) {
		// A site that answers its own empty search 403 with the form on it
		// is not refusing automated access: the page fails (403), the run
		// is partial, not refused.
		srv := fixtures.NewServer(fixtures.NewArchive(30, 7))
		srv.Recaptcha = true
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write(rec.Body.Bytes())
		}))
		defer front.Close()
		db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
		cfg, _ := logged(front.URL + "/search?search_api_fulltext=nothing")
		_, err := crawl(t, db, cfg)
		if errors.Is(err, harvest.ErrChallenge) || !errors.Is(err, harvest.ErrPartial) || !strings.Contains(err.Error(), "403") {
			t.Errorf("err = %v; want a partial run whose page failed with 403, no challenge", err)
		}
	})
	t.Run("summary says no results", func(t *testing.T) {
		srv := hostile(t, fixtures.NewArchive(30, 7), func(s *fixtures.Server) { s.SummarySaysNoResults = true })
		db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
		cfg, _ := logged(srv.ListingURL(0))
		if _, err := crawl(t, db, cfg); err != nil {
			t.Fatal(err)
		}
		recs := stored(t, db)
		if len(recs) != 30 {
			t.Errorf("%d records, want 30", len(recs))
		}
		d := srv.Archive.Docs()[1]
		if got := recs[srv.DocURL(d)].Summary; got != fixtures.NoResultsSummary {
			t.Errorf("summary %q, want %q", got, fixtures.NoResultsSummary)
		}
	})
}

// The table markup (one cell per field) end to end: every record's date and
// summary stored.
func TestCrawlTableMarkup(t *testing.T) {
	srv := hostile(t, fixtures.NewArchive(120, 7), func(s *fixtures.Server) { s.Style = "table" })
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg, _ := logged(srv.ListingURL(0))
	cfg.Concurrency = 2
	if _, err := crawl(t, db, cfg); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantServed(srv, srv.Archive.Docs()), gotDocs(stored(t, db))); diff != "" {
		t.Errorf("stored records (-want +got):\n%s", diff)
	}
}

// A page in windows-1251 that declares no charset is read right and
// flagged: a warning names the page and the charset guessed, and the
// frontier keeps it.
func TestCrawlFlagsAGuessedCharset(t *testing.T) {
	srv := hostile(t, fixtures.NewCyrillicArchive(30, 3), func(s *fixtures.Server) { s.Windows1251 = true })
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg, logs := logged(srv.ListingURL(0))
	if _, err := crawl(t, db, cfg); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantServed(srv, srv.Archive.Docs()), gotDocs(stored(t, db))); diff != "" {
		t.Errorf("stored records (-want +got):\n%s", diff)
	}
	for _, p := range frontier(t, db, srv.ListingURL(0)) {
		if p.Charset != "windows-1251 (guessed)" {
			t.Errorf("frontier %s charset %q, want windows-1251 (guessed)", p.URL, p.Charset)
		}
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "charset") && strings.Contains(line, "guessed") && strings.Contains(line, "windows-1251") && strings.Contains(line, srv.ListingURL(1)) {
			return
		}
	}
	t.Errorf("no warning names page 1 and its guessed charset:\n%s", logs)
}

// A start URL with credentials: they are sent (Basic auth) to its host, and
// kept nowhere: not in records, listing URLs, frontier, walks, runs, pages,
// logs or errors.
func TestCrawlKeepsNoCredentials(t *testing.T) {
	const user, pass = "archivist", "s3cret-Pa55word"
	srv := hostile(t, fixtures.NewArchive(30, 7), func(s *fixtures.Server) { s.BasicAuth = user + ":" + pass })
	path := filepath.Join(t.TempDir(), "h.db")
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(srv.ListingURL(0))
	u.User = url.UserPassword(user, pass)
	cfg, logs := logged(u.String())
	cfg.IgnoreRobots = false
	sum, err := crawl(t, db, cfg)
	if err != nil {
		t.Fatalf("crawl: %v (%+v)", err, sum)
	}
	if diff := cmp.Diff(wantServed(srv, srv.Archive.Docs()), gotDocs(stored(t, db))); diff != "" {
		t.Errorf("stored records (-want +got):\n%s", diff)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	secrets := []string{pass, base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))}
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds the credentials", filepath.Base(f))
			}
		}
	}
	for _, s := range secrets {
		if strings.Contains(logs.String(), s) || strings.Contains(sum.Message, s) {
			t.Errorf("the logs or the summary hold the credentials:\n%s", logs)
		}
	}
	// Without the credentials the site refuses: the run fails, and its error
	// names no password either.
	u.User = url.UserPassword(user, "wrong-"+pass)
	cfg2, logs2 := logged(u.String())
	db2 := openDB(t, filepath.Join(t.TempDir(), "h2.db"))
	_, err = crawl(t, db2, cfg2)
	if err == nil {
		t.Fatal("a wrong password gave no error")
	}
	if strings.Contains(err.Error(), "wrong-") || strings.Contains(logs2.String(), "wrong-") {
		t.Errorf("the error or logs hold the password: %v\n%s", err, logs2)
	}
}

// A listing that redirects (same host, /search to /en/search) has its
// path-relative record links resolved against the URL it ended at; the walk
// goes on from there, so that no later page is redirected again, and the
// redirect is logged once.
func TestCrawlFollowsAListingRedirect(t *testing.T) {
	for _, c := range []int{1, 3} {
		t.Run(map[int]string{1: "one page at a time", 3: "three at a time"}[c], func(t *testing.T) {
			srv := hostile(t, fixtures.NewArchive(50, 7), func(s *fixtures.Server) { s.Redirect = true })
			db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
			cfg, logs := logged(srv.URL + "/search")
			cfg.Concurrency = c
			sum, err := crawl(t, db, cfg)
			if err != nil {
				t.Fatalf("crawl: %v (%+v)", err, sum)
			}
			if diff := cmp.Diff(wantServed(srv, srv.Archive.Docs()), gotDocs(stored(t, db))); diff != "" {
				t.Errorf("stored records (-want +got):\n%s", diff)
			}
			redirects := 0
			for _, h := range srv.Log() {
				if h.Status == http.StatusMovedPermanently {
					redirects++
				}
				if srv.Hits(h.URI) > 1 {
					t.Errorf("%s asked %d times", h.URI, srv.Hits(h.URI))
				}
			}
			if redirects != 1 {
				t.Errorf("%d requests redirected, want only the first page's", redirects)
			}
			if sum.Pages != 5 || sum.Requests != 6 {
				t.Errorf("%d pages in %d requests; want 5 pages in 6 (the first page redirected)", sum.Pages, sum.Requests)
			}
			if n := strings.Count(logs.String(), "listing redirected"); n != 1 {
				t.Errorf("redirect logged %d times, want once:\n%s", n, logs)
			}
		})
	}
}

// A page on which fewer records are found than its own results line states
// is a shortfall of that page, not drift: no pass fetches every page again,
// and the run names the page.
func TestCrawlParseShortfallIsNotDrift(t *testing.T) {
	for _, tt := range []struct {
		name    string
		style   string
		missing bool // besides, a record of page 1 is cut out of it
	}{
		{"two records unclosed", "", false},
		{"two records unclosed, table", "table", false},
		{"a record missing", "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := hostile(t, fixtures.NewArchive(50, 7), func(s *fixtures.Server) {
				s.Style, s.Unclosed = tt.style, []int{1}
				cut := srv0(s).Path()
				s.Mangle = func(r *http.Request, body []byte) []byte {
					if !tt.missing || r.URL.Query().Get("page") != "1" {
						return body
					}
					i := bytes.Index(body, []byte(cut))
					start := bytes.LastIndex(body[:i], []byte("<tr"))
					end := i + bytes.Index(body[i:], []byte("</tr>\n")) + len("</tr>\n")
					return append(body[:start:start], body[end:]...)
				}
			})
			db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
			cfg, logs := logged(srv.ListingURL(0))
			sum, err := crawl(t, db, cfg)
			for i := range 5 {
				if n := srv.Hits(uri(srv, i)); n != 1 {
					t.Errorf("%s asked %d times: a shortfall taken for drift", uri(srv, i), n)
				}
			}
			if sum.Repaired != 0 {
				t.Errorf("%d pages repaired", sum.Repaired)
			}
			got := len(stored(t, db))
			if got == 50 && !tt.missing {
				if err != nil {
					t.Errorf("every record found, yet err = %v", err)
				}
				return // the parser kept every record: nothing to name
			}
			if !errors.Is(err, harvest.ErrPartial) || !strings.Contains(err.Error(), srv.ListingURL(1)) || !strings.Contains(err.Error(), "where the page states 10") {
				t.Errorf("err = %v; want a partial run naming page 1's shortfall (%d records stored)\n%s", err, got, logs)
			}
		})
	}
}

// srv0 is the sixth record of page 1 (0-based index 15 of the archive): past
// the unclosed third and fourth.
func srv0(s *fixtures.Server) fixtures.Doc { return s.Archive.Docs()[15] }

// With no total stated, a next link to the page itself, one that is no page
// (javascript:), or a jump far past the next page onto an empty one is a
// broken pager: the run ends partial, naming the page. No next link at
// all, or one marked disabled, is a legitimate end.
func TestCrawlBrokenPagerIsNoEnd(t *testing.T) {
	for _, tt := range []struct {
		pager string
		want  string
	}{
		{"self", "next link points to the page itself"},
		{"huge", "next link jumps from page 0 to page 1000000000"},
		{"javascript", "next link is not a page: javascript:void(0)"},
	} {
		t.Run(tt.pager, func(t *testing.T) {
			srv := hostile(t, fixtures.NewArchive(50, 7), func(s *fixtures.Server) { s.NoTotal, s.Pager = true, tt.pager })
			db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
			cfg, _ := logged(srv.ListingURL(0))
			sum, err := crawl(t, db, cfg)
			if !errors.Is(err, harvest.ErrPartial) {
				t.Fatalf("err = %v (%+v), want a partial run", err, sum)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), srv.ListingURL(0)) {
				t.Errorf("err = %v; want it to name %s and say %q", err, srv.ListingURL(0), tt.want)
			}
			if sum.Outcome != harvest.OutcomePartial {
				t.Errorf("outcome %s, want partial", sum.Outcome)
			}
			for _, h := range srv.Log() {
				if srv.Hits(h.URI) > 1 {
					t.Errorf("%s asked %d times", h.URI, srv.Hits(h.URI))
				}
			}
		})
	}
	t.Run("true pager", func(t *testing.T) {
		srv := hostile(t, fixtures.NewArchive(50, 7), func(s *fixtures.Server) { s.NoTotal = true })
		db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
		cfg, _ := logged(srv.ListingURL(0))
		if sum, err := crawl(t, db, cfg); err != nil || len(stored(t, db)) != 50 {
			t.Fatalf("err = %v (%+v), %d records; want a complete run of 50", err, sum, len(stored(t, db)))
		}
	})
	t.Run("disabled next link on the last page", func(t *testing.T) {
		srv := hostile(t, fixtures.NewArchive(50, 7), func(s *fixtures.Server) {
			s.NoTotal = true
			s.Mangle = func(r *http.Request, body []byte) []byte {
				if r.URL.Query().Get("page") != "4" {
					return body
				}
				return bytes.Replace(body, []byte("</ul>\n</nav>"),
					[]byte(`<li class="pager__item pager__item--next disabled"><a href="#" rel="next" aria-disabled="true">Next ›</a></li></ul>`+"\n</nav>"), 1)
			}
		})
		db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
		cfg, _ := logged(srv.ListingURL(0))
		if sum, err := crawl(t, db, cfg); err != nil || len(stored(t, db)) != 50 {
			t.Fatalf("err = %v (%+v), %d records; want a complete run of 50", err, sum, len(stored(t, db)))
		}
	})
}

// A results line claiming an absurd total ("1 - 10 of 1,000,000,000" on a
// 50-record listing) is checked against the pages before pages are queued:
// not borne out, it is set aside with a warning and the walk follows the next
// links. All 50 records, in seconds, with a frontier of a few rows.
func TestCrawlDoesNotTrustAnAbsurdTotal(t *testing.T) {
	for _, tt := range []struct {
		name     string
		maxPages int
		records  int
	}{
		{"whole walk", 0, 50},
		{"--max-pages 3", 3, 30},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := hostile(t, fixtures.NewArchive(50, 7), func(s *fixtures.Server) { s.ClaimedTotal = 1_000_000_000 })
			db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
			cfg, logs := logged(srv.ListingURL(0))
			cfg.Concurrency = 4
			cfg.MaxPages = tt.maxPages
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			began := time.Now()
			sum, err := crawler.Run(ctx, cfg, db)
			if err != nil {
				t.Fatalf("crawl: %v (%+v)", err, sum)
			}
			if d := time.Since(began); d > 5*time.Second {
				t.Errorf("crawl took %v", d)
			}
			if got := len(stored(t, db)); got != tt.records {
				t.Errorf("%d records stored, want %d", got, tt.records)
			}
			if rows := len(frontier(t, db, srv.ListingURL(0))); rows > 12 {
				t.Errorf("%d frontier rows for a listing of 5 pages", rows)
			}
			if !strings.Contains(logs.String(), "not borne out") {
				t.Errorf("no warning that the total is not borne out:\n%s", logs)
			}
			for _, h := range srv.Log() {
				if srv.Hits(h.URI) > 1 {
					t.Errorf("%s asked %d times", h.URI, srv.Hits(h.URI))
				}
			}
		})
	}
}
