package crawler_test

import (
	"fmt"
	"path/filepath"
	"testing"
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
