package serve

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/store"
)

// benchRecords is the size of the benchmarks' harvest; HARVEST_SERVE_BENCH_N
// changes it. HARVEST_SERVE_BENCH_DB=FILE keeps the harvest in FILE between
// runs (built when missing).
func benchRecords() int {
	if n, err := strconv.Atoi(os.Getenv("HARVEST_SERVE_BENCH_N")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

var (
	benchOnce sync.Once
	benchPath string
	benchErr  error
)

// benchDB builds, once per test binary, a harvest of benchRecords() records
// generated as the fixture archive generates them (titles and summaries in
// several languages and scripts, EDTF dates), stored through the store's own
// page writes in pages of 500, so that the search index and the per-year
// table are filled by their triggers. A tenth of them are retitled in a
// second walk, so that they have a history.
func benchDB(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		if p := os.Getenv("HARVEST_SERVE_BENCH_DB"); p != "" {
			// Kept between runs: built when missing.
			benchPath = p
			if _, err := os.Stat(p); err == nil {
				return
			}
			benchErr = fillBench(p, benchRecords())
			return
		}
		dir, err := os.MkdirTemp("", "harvest-serve-bench")
		if err != nil {
			benchErr = err
			return
		}
		benchPath = filepath.Join(dir, "bench.db")
		benchErr = fillBench(benchPath, benchRecords())
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

func fillBench(path string, n int) error {
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	docs := fixtures.NewArchive(n, 42).Docs()
	const listing = "http://archive.example/search"
	for walk := 0; walk < 2; walk++ {
		w, err := db.NewWalk(ctx, listing+"?walk="+strconv.Itoa(walk), harvest.WalkFull, listing)
		if err != nil {
			return err
		}
		var pages []harvest.PageResult
		for start := 0; start < len(docs); start += 500 {
			page := listing + "?page=" + strconv.Itoa(start/500)
			p := harvest.PageResult{WalkID: w.ID, URL: page, Status: 200}
			for i, d := range docs[start:min(start+500, len(docs))] {
				title := d.Title
				if walk == 1 && (start+i)%10 == 0 {
					title += " (revised)"
				}
				p.Records = append(p.Records, harvest.Record{URL: "http://archive.example/document/" + d.Slug, Title: title,
					Date: d.Date, DateText: d.DateText, Summary: d.Summary, ListingURL: page})
			}
			pages = append(pages, p)
		}
		for i := 0; i < len(pages); i += 20 {
			if _, err := db.SavePages(ctx, pages[i:min(i+20, len(pages))]); err != nil {
				return err
			}
		}
		if err := db.FinishWalk(ctx, w.ID); err != nil {
			return err
		}
	}
	return nil
}

// benchSearches are the searches the benchmark cycles through: common and
// rare words, phrases, prefixes, other scripts, filters alone and with
// words, later result pages.
var benchSearches = []string{
	"q=telegram",
	"q=conversation",
	"q=mao+zedong",
	"q=%22record+of+conversation%22",
	"q=memorandum&from=1960&to=1969",
	"q=khrushchev+kim",
	"q=tele*",
	"q=%D0%B7%D0%B0%D0%BF%D0%B8%D1%81%D0%BA%D0%B0", // записка
	"q=%E6%AF%9B%E6%B3%BD%E4%B8%9C",                // 毛泽东
	"q=journal&page=5",
	"q=report&sort=oldest",
	"q=nonexistentword",
	"from=1956&to=1956",
	"status=changed&since=2000-01-01",
	"",
	"q=letter&status=changed",
	"page=200",
}

// BenchmarkSearchPage answers search pages over the benchmark harvest
// through the handler, HTML rendered, and reports the 50th and 99th
// percentiles of the time per search.
func BenchmarkSearchPage(b *testing.B) {
	path := benchDB(b)
	db, err := store.OpenReadOnly(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s, err := New(Config{DB: db, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	// Warm the page cache, as a server that has answered once has.
	for _, q := range benchSearches {
		serve(b, s, "/search?"+q)
	}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		serve(b, s, "/search?"+benchSearches[i%len(benchSearches)])
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, times)
}

// BenchmarkStoreSearch is the store's part of a search: the query alone.
func BenchmarkStoreSearch(b *testing.B) {
	path := benchDB(b)
	db, err := store.OpenReadOnly(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	qs := make([]store.SearchQuery, len(benchSearches))
	for i, raw := range benchSearches {
		v, _ := url.ParseQuery(raw)
		f, err := parseSearch(v)
		if err != nil {
			b.Fatal(err)
		}
		qs[i] = f.SearchQuery
	}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := db.Search(context.Background(), qs[i%len(qs)]); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, times)
}

// BenchmarkFrontPage renders the overview of the benchmark harvest and
// reports its weight: the HTML and the assets it loads.
func BenchmarkFrontPage(b *testing.B) {
	path := benchDB(b)
	db, err := store.OpenReadOnly(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s, err := New(Config{DB: db, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	var html int
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		html = serve(b, s, "/")
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	assets := serve(b, s, "/static/style.css") + serve(b, s, "/static/app.js")
	reportPercentiles(b, times)
	b.ReportMetric(float64(html), "html-bytes")
	b.ReportMetric(float64(html+assets), "page-bytes")
}

func serve(b *testing.B, h http.Handler, target string) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	if rec.Code != http.StatusOK {
		b.Fatalf("%s: status %d: %.500s", target, rec.Code, rec.Body.String())
	}
	n, _ := io.Copy(io.Discard, rec.Body)
	return int(n)
}

func reportPercentiles(b *testing.B, times []time.Duration) {
	if len(times) == 0 {
		return
	}
	slices.Sort(times)
	at := func(p float64) float64 {
		return float64(times[min(len(times)-1, int(p*float64(len(times))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "max-ms")
}

// TestBenchSearchTimes is for finding the slow searches: it prints the
// median and the slowest of 20 answers to each benchmark search. Run it
// with HARVEST_SERVE_BENCH_TIMES=1 go test -run TestBenchSearchTimes -v.
func TestBenchSearchTimes(t *testing.T) {
	if os.Getenv("HARVEST_SERVE_BENCH_TIMES") == "" {
		t.Skip("set HARVEST_SERVE_BENCH_TIMES=1 to time each benchmark search")
	}
	var b testing.B
	path := benchDB(&b)
	db, err := store.OpenReadOnly(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, _ := New(Config{DB: db, Logger: slog.New(slog.DiscardHandler)})
	for _, q := range benchSearches {
		var times []time.Duration
		for i := range 21 {
			rec := httptest.NewRecorder()
			start := time.Now()
			s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/search?"+q, nil))
			if i > 0 {
				times = append(times, time.Since(start))
			}
			if rec.Code != http.StatusOK {
				t.Errorf("%s: status %d", q, rec.Code)
			}
		}
		slices.Sort(times)
		fmt.Printf("%-45s median %6.1f ms  slowest %6.1f ms\n", q, float64(times[len(times)/2].Microseconds())/1000, float64(times[len(times)-1].Microseconds())/1000)
	}
}
