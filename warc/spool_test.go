package warc

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A spooled response is recorded as Write records it: the strict reader
// accepts it, Read gives the same capture, a repeated payload becomes a
// revisit, and the index points at it.
func TestWriteSpooledMatchesWrite(t *testing.T) {
	resps := [][]byte{
		plain(page(1, 300<<10)),
		chunked(page(2, 50<<10), 4096),
		gzipped(page(3, 20<<10)),
		notModified,
		plain(page(1, 300<<10)), // a repeat: a revisit
	}
	var exs []Exchange
	for i, r := range resps {
		exs = append(exs, exchange("http://example.org/file/"+string(rune('a'+i)), r))
	}
	a, b := t.TempDir(), t.TempDir()
	mustWrite(t, mustOpen(t, Options{Dir: a}), exs...)
	w := mustOpen(t, Options{Dir: b})
	for _, ex := range exs {
		r := ex.Response
		ex.Response = nil
		if err := w.WriteSpooled(ex, bytes.NewReader(r), int64(len(r))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if s := w.Stats(); s.Responses != 4 || s.Revisits != 1 {
		t.Errorf("stats %+v, want 4 responses and 1 revisit", s)
	}
	for _, n := range files(t, b, "*.warc.gz") {
		types := map[string]int{}
		for _, r := range readWithLibrary(t, filepath.Join(b, n)) {
			types[r.typ]++
		}
		if types["response"] != 4 || types["revisit"] != 1 || types["request"] != 5 {
			t.Errorf("%s: record types %v", n, types)
		}
	}
	want, got := readAll(t, a), readAll(t, b)
	if len(want) != len(got) {
		t.Fatalf("%d captures spooled, %d written", len(got), len(want))
	}
	for i := range want {
		if want[i].URL != got[i].URL || want[i].Status != got[i].Status || !bytes.Equal(want[i].Body, got[i].Body) {
			t.Errorf("capture %d: spooled %s %d (%d bytes), written %s %d (%d bytes)", i, got[i].URL, got[i].Status, len(got[i].Body), want[i].URL, want[i].Status, len(want[i].Body))
		}
	}
	if err := Index(t.Context(), b); err != nil {
		t.Fatal(err)
	}
}

func TestWriteSpooledRejectsBadResponse(t *testing.T) {
	w := mustOpen(t, Options{Dir: t.TempDir()})
	defer w.Close()
	for _, r := range [][]byte{nil, []byte("HTTP/1.1 200 OK\r\nno blank line")} {
		if err := w.WriteSpooled(exchange("http://example.org/x", nil), bytes.NewReader(r), int64(len(r))); err == nil {
			t.Errorf("WriteSpooled(%q) succeeded", r)
		}
	}
}

// TestLeaveSpooledFilesForWarcio is TestLeaveFilesForWarcio for records
// written by WriteSpooled (a large body, chunked, gzip, a revisit), for
// .ci/warcio-check.mjs to verify with npm warcio. It is skipped when
// HARVEST_WARCIO_DIR is unset.
func TestLeaveSpooledFilesForWarcio(t *testing.T) {
	dir := os.Getenv("HARVEST_WARCIO_DIR")
	if dir == "" {
		t.Skip("HARVEST_WARCIO_DIR not set")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exs := []Exchange{
		exchange("http://127.0.0.1/document/1/download", plain(page(1, 2<<20))),
		exchange("http://127.0.0.1/files/chunked.pdf", chunked(page(2, 200<<10), 8192)),
		exchange("http://127.0.0.1/files/gzip.txt", gzipped(page(3, 100<<10))),
		exchange("http://127.0.0.1/files/again.pdf", plain(page(1, 2<<20))),
	}
	w := mustOpen(t, Options{Dir: dir, MaxSize: 1 << 20})
	var urls []string
	for _, ex := range exs {
		r := ex.Response
		ex.Response = nil
		if err := w.WriteSpooled(ex, bytes.NewReader(r), int64(len(r))); err != nil {
			t.Fatal(err)
		}
		urls = append(urls, ex.URL)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "urls.txt"), []byte(strings.Join(urls, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
