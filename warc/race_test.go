package warc

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// Distinct payloads written at once from many goroutines are each kept whole:
// none is taken for a revisit of another, and each is read back as written.
func TestConcurrentDistinctPayloadsAreNeverRevisits(t *testing.T) {
	dir := t.TempDir()
	w := mustOpen(t, Options{Dir: dir, MaxSize: 256 << 10})
	const writers, each = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for g := range writers {
		wg.Go(func() {
			for i := range each {
				n := g*each + i
				target := fmt.Sprintf("http://127.0.0.1/p%d", n)
				var resp []byte
				if n%2 == 0 {
					resp = plain(page(n, 8<<10))
				} else {
					resp = chunked(page(n, 8<<10), 4096)
				}
				if err := w.Write(exchange(target, resp)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if s := w.Stats(); s.Revisits != 0 {
		t.Errorf("%d revisits among %d distinct payloads", s.Revisits, writers*each)
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.warc.gz"))
	responses := 0
	for _, p := range paths {
		for _, r := range readWithLibrary(t, p) {
			if r.typ == "response" {
				responses++
			}
		}
	}
	if responses != writers*each {
		t.Errorf("%d response records, want %d", responses, writers*each)
	}
}
