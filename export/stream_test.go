package export_test

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/export"
)

// generated is a DetailSource of n made-up records, every other one with a
// document page, made as they are read: it holds none of them.
type generated struct {
	n        int
	progress func(i int) // called as records are made
}

func (g generated) record(i int) harvest.Record {
	r := detailRecords[0]
	r.URL = fmt.Sprintf("https://a.example/document/%d", i)
	r.Title = fmt.Sprintf("Telegram %d from A. Mikoyan to the CPSU Central Committee", i)
	return r
}

func (g generated) Records(ctx context.Context, fn func(harvest.Record) error) error {
	for i := range g.n {
		if g.progress != nil {
			g.progress(i)
		}
		if err := fn(g.record(i)); err != nil {
			return err
		}
	}
	return nil
}

func (g generated) Details(ctx context.Context, fn func(harvest.Record, *harvest.Document) error) error {
	return g.Records(ctx, func(r harvest.Record) error {
		if n, _ := strconv.Atoi(r.URL[strings.LastIndexByte(r.URL, '/')+1:]); n%2 == 1 {
			return fn(r, nil)
		}
		d := detailDocs[0]
		d.URL = r.URL
		return fn(r, &d)
	})
}

type counter int64

func (c *counter) Write(p []byte) (int, error) { *c += counter(len(p)); return len(p), nil }

// Memory does not grow with the number of records: the heap in use while
// 50,000 records (with their pages, 24 MB or more in every format) are written stays a small fraction of
// what the output holds.
func TestStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 50,000 records per format")
	}
	const n = 50_000
	for _, format := range export.Formats {
		t.Run(format, func(t *testing.T) {
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			base, peak := ms.HeapAlloc, ms.HeapAlloc
			g := generated{n: n, progress: func(i int) {
				if i%5000 == 0 {
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapAlloc)
				}
			}}
			var out counter
			if _, err := export.WriteDetails(context.Background(), g, format, &out, export.Options{}); err != nil {
				t.Fatal(err)
			}
			grew := int64(peak) - int64(base)
			t.Logf("%s: wrote %d MB, heap grew at most %.1f MB", format, out>>20, float64(grew)/(1<<20))
			if out < 20<<20 {
				t.Fatalf("wrote only %d bytes: the test proves nothing", out)
			}
			if grew > 12<<20 {
				t.Errorf("heap grew by %d MB while writing %d MB", grew>>20, out>>20)
			}
		})
	}
}

var _ io.Writer = (*counter)(nil)
