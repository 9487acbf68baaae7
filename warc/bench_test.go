package warc

import (
	"strconv"
	"sync/atomic"
	"testing"
)

// BenchmarkWrite writes exchanges of distinct 40 KB HTML pages, as a crawl
// does; MB/s counts the raw response bytes.
func BenchmarkWrite(b *testing.B) {
	const pages = 64
	resps := make([][]byte, pages)
	for i := range resps {
		resps[i] = plain(page(i, 40<<10))
	}
	w := mustOpen(b, Options{Dir: b.TempDir(), MaxSize: 256 << 20})
	b.SetBytes(int64(len(resps[0])))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// A new page each time: the first line differs, so no revisits.
		r := append([]byte(nil), resps[i%pages]...)
		copy(r[len(r)-20:], strconv.Itoa(i))
		ex := exchange("http://example.org/page/"+strconv.Itoa(i), r)
		if err := w.Write(ex); err != nil {
			b.Fatal(err)
		}
		i++
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(w.Stats().Bytes)/float64(i), "file-B/page")
}

// BenchmarkWriteParallel is BenchmarkWrite with writes from GOMAXPROCS
// goroutines, as a crawl with several workers makes them.
func BenchmarkWriteParallel(b *testing.B) {
	const pages = 64
	resps := make([][]byte, pages)
	for i := range resps {
		resps[i] = plain(page(i, 40<<10))
	}
	w := mustOpen(b, Options{Dir: b.TempDir(), MaxSize: 256 << 20})
	b.SetBytes(int64(len(resps[0])))
	b.ReportAllocs()
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			r := append([]byte(nil), resps[i%pages]...)
			copy(r[len(r)-20:], strconv.Itoa(i))
			if err := w.Write(exchange("http://example.org/page/"+strconv.Itoa(i), r)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}
