package crawler_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/harvest-archive/harvest/crawler"
	"github.com/harvest-archive/harvest/fetch"
	"github.com/harvest-archive/harvest/parser"
	"github.com/harvest-archive/harvest/warc"
)

// BenchmarkCrawl is a whole crawl of a 1,000-document fixture archive into a
// fresh database per op, one page at a time and concurrently.
func BenchmarkCrawl(b *testing.B) {
	srv := serve(b, 1000)
	for _, c := range []int{1, 4} {
		b.Run(fmt.Sprintf("concurrency=%d", c), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				db := openDB(b, filepath.Join(b.TempDir(), fmt.Sprintf("h%d.db", i)))
				cfg := testConfig(srv.ListingURL(0))
				cfg.Concurrency = c
				if sum, err := crawl(b, db, cfg); err != nil || sum.New != 1000 {
					b.Fatalf("%+v %v", sum, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N)*1000/100, "ms/page")
		})
	}
}

// warcRecorder hands the crawl's exchanges to a WARC writer.
type warcRecorder struct{ w *warc.Writer }

func (r warcRecorder) Record(ex fetch.Exchange) error { return r.w.Write(warc.Exchange(ex)) }

// BenchmarkCrawlWARC is BenchmarkCrawl at concurrency 4 with every exchange
// written to WARC, and BenchmarkReparse re-parses those captures into a
// fresh database: the same 100 listing pages, nothing fetched.
func BenchmarkCrawlWARC(b *testing.B) {
	srv := serve(b, 1000)
	dir := b.TempDir()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		w, err := warc.Open(warc.Options{Dir: filepath.Join(dir, fmt.Sprint(i)), Software: "harvest/bench"})
		if err != nil {
			b.Fatal(err)
		}
		db := openDB(b, filepath.Join(dir, fmt.Sprintf("h%d.db", i)))
		cfg := testConfig(srv.ListingURL(0))
		cfg.Concurrency, cfg.Recorder = 4, warcRecorder{w}
		if sum, err := crawl(b, db, cfg); err != nil || sum.New != 1000 {
			b.Fatalf("%+v %v", sum, err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N)*1000/100, "ms/page")
}

func BenchmarkReparse(b *testing.B) {
	srv := serve(b, 1000)
	dir := b.TempDir()
	w, err := warc.Open(warc.Options{Dir: filepath.Join(dir, "warc"), Software: "harvest/bench"})
	if err != nil {
		b.Fatal(err)
	}
	cfg := testConfig(srv.ListingURL(0))
	cfg.Concurrency, cfg.Recorder = 4, warcRecorder{w}
	crawled := openDB(b, filepath.Join(dir, "crawl.db"))
	if _, err := crawl(b, crawled, cfg); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	each := func(keep func(string) bool, fn func(crawler.Capture) error) error {
		return warc.ReadLatest(context.Background(), filepath.Join(dir, "warc"), keep, func(c warc.Capture) error {
			return fn(crawler.Capture{URL: c.URL, Date: c.Date, Status: c.Status, Header: c.Header, Body: c.Body})
		})
	}
	// Into the database of the crawl that made the captures (the records
	// come out as stored), and into a new one (every record written).
	for _, into := range []string{"crawled", "new"} {
		b.Run("into="+into, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				db := crawled
				if into == "new" {
					db = openDB(b, filepath.Join(b.TempDir(), fmt.Sprintf("r%d.db", i)))
				}
				if _, err := crawler.Reparse(context.Background(), parser.ForHost, db, "bench", each, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N)*1000/100, "ms/page")
		})
	}
}
