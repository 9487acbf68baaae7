package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/harvest-archive/harvest"
)

// BenchmarkSavePage is the upsert path: one listing page of 10 records per
// op, in its own transaction, new records and then the same ones again.
func BenchmarkSavePage(b *testing.B) {
	ctx := context.Background()
	page := func(n int) harvest.PageResult {
		p := harvest.PageResult{URL: fmt.Sprintf("http://x/search?page=%d", n), Status: 200, Total: 1 << 30,
			Enqueue: []string{fmt.Sprintf("http://x/search?page=%d", n+1)}}
		for i := 0; i < 10; i++ {
			p.Records = append(p.Records, harvest.Record{
				URL:   fmt.Sprintf("http://x/document/%d-%d", n, i),
				Title: "Telegram from A. Mikoyan to the CPSU Central Committee", Date: "1956-09-17", DateText: "September 17, 1956",
				Summary:    "Mikoyan reports on an unsuccessful meeting with a number of Korean delegates, who had clearly been prepped.",
				ListingURL: p.URL,
			})
		}
		return p
	}
	for _, again := range []bool{false, true} {
		name := "new"
		if again {
			name = "unchanged"
		}
		b.Run(name, func(b *testing.B) {
			db, _ := MustOpen(b)
			w, err := db.NewWalk(ctx, "http://x/search", harvest.WalkFull, "http://x/search")
			if err != nil {
				b.Fatal(err)
			}
			if again {
				for n := 0; n < b.N; n++ {
					p := page(n)
					p.WalkID = w.ID
					if _, err := db.SavePage(ctx, p); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				p := page(n)
				p.WalkID = w.ID
				if _, err := db.SavePage(ctx, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSavePages is the same path with group commit: 32 pages per
// transaction, reported per page.
func BenchmarkSavePages(b *testing.B) {
	ctx := context.Background()
	db, _ := MustOpen(b)
	w, _ := db.NewWalk(ctx, "http://x/search", harvest.WalkFull, "http://x/search")
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		var batch []harvest.PageResult
		for k := 0; k < 32; k++ {
			p := harvest.PageResult{WalkID: w.ID, URL: fmt.Sprintf("http://x/search?page=%d", n), Status: 200}
			for i := 0; i < 10; i++ {
				p.Records = append(p.Records, harvest.Record{URL: fmt.Sprintf("http://x/document/%d-%d", n, i), Title: "T", ListingURL: p.URL})
			}
			batch = append(batch, p)
			n++
		}
		if _, err := db.SavePages(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/page")
}
