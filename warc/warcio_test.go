package warc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLeaveFilesForWarcio writes a small archive with every kind of response
// (plain, chunked, gzip, gzip and chunked, 304, and revisits across two runs)
// into the directory named by HARVEST_WARCIO_DIR, with urls.txt listing its
// URLs, for .ci/warcio-check.mjs to verify with npm warcio. It is skipped
// when the variable is unset.
func TestLeaveFilesForWarcio(t *testing.T) {
	dir := os.Getenv("HARVEST_WARCIO_DIR")
	if dir == "" {
		t.Skip("HARVEST_WARCIO_DIR not set")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exs := []Exchange{
		exchange("http://127.0.0.1/plain", plain(page(1, 40<<10))),
		exchange("http://127.0.0.1/chunked", chunked(page(2, 40<<10), 4096)),
		exchange("http://127.0.0.1/gzip", gzipped(page(3, 40<<10))),
		exchange("http://127.0.0.1/gzip-chunked", gzippedChunked(page(4, 40<<10), 1000)),
		exchange("http://127.0.0.1/not-modified", notModified),
		exchange("http://127.0.0.1/plain-again", plain(page(1, 40<<10))),
	}
	mustWrite(t, mustOpen(t, Options{Dir: dir, MaxSize: 64 << 10}), exs...)
	mustWrite(t, mustOpen(t, Options{Dir: dir, MaxSize: 64 << 10}), exs...)
	var urls []string
	for _, ex := range exs {
		urls = append(urls, ex.URL)
	}
	if err := os.WriteFile(filepath.Join(dir, "urls.txt"), []byte(strings.Join(urls, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
