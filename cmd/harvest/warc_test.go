package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gowarc "github.com/nlnwa/gowarc/v3"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/fixtures"
)

// captured is what the WARC files of a directory hold, as gowarc's own
// reader reads them with every digest checked.
type captured struct {
	requests, responses, revisits map[string]int // by target URI
	warcinfos                     int
	files                         []string
	bytes                         int64
}

func readWARCDir(t *testing.T, dir string) captured {
	t.Helper()
	c := captured{requests: map[string]int{}, responses: map[string]int{}, revisits: map[string]int{}}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.warc.gz"))
	sort.Strings(paths)
	for _, path := range paths {
		c.files = append(c.files, filepath.Base(path))
		if st, err := os.Stat(path); err == nil {
			c.bytes += st.Size()
		}
		if _, err := os.Stat(strings.TrimSuffix(path, ".warc.gz") + ".cdxj"); err != nil {
			t.Errorf("no CDXJ index beside %s: %v", filepath.Base(path), err)
		}
		rd, err := gowarc.NewWarcFileReader(path, 0, gowarc.WithStrictValidation())
		if err != nil {
			t.Fatal(err)
		}
		for rec, err := range rd.Records() {
			if err != nil {
				t.Fatalf("%s at %d: %v", filepath.Base(path), rec.Offset, err)
			}
			if len(rec.Validation) > 0 {
				t.Fatalf("%s at %d: %v", filepath.Base(path), rec.Offset, rec.Validation)
			}
			h := rec.WarcRecord.WarcHeader()
			target := h.Get(gowarc.WarcTargetURI)
			switch rec.WarcRecord.Type() {
			case gowarc.Warcinfo:
				c.warcinfos++
				raw, _ := rec.WarcRecord.Block().RawBytes()
				b, _ := io.ReadAll(raw)
				if !bytes.Contains(b, []byte("harvest/"+harvest.Version)) {
					t.Errorf("%s: warcinfo does not name harvest/%s: %q", filepath.Base(path), harvest.Version, b)
				}
			case gowarc.Request:
				c.requests[target]++
			case gowarc.Response:
				c.responses[target]++
				if h.Get(gowarc.WarcPayloadDigest) == "" || h.Get(gowarc.WarcBlockDigest) == "" || h.Get(gowarc.WarcIPAddress) == "" || h.Get(gowarc.WarcConcurrentTo) == "" {
					t.Errorf("%s: response of %s lacks a digest, IP address or Concurrent-To: %v", filepath.Base(path), target, h)
				}
			case gowarc.Revisit:
				c.revisits[target]++
			}
			rec.Close()
		}
		rd.Close()
	}
	return c
}

// A crawl with --warc keeps every exchange: robots.txt, every page, every
// retry, as request and response records whose digests gowarc's strict
// reader checks; a re-harvest of the unchanged archive writes revisits and
// costs a small fraction of the first run's bytes.
func TestCrawlWritesWARC(t *testing.T) {
	srv := fixtures.NewServer(fixtures.NewArchive(195, 3))
	srv.Robots = "User-agent: *\nDisallow: /admin/\n"
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.Inject(strings.TrimPrefix(srv.ListingURL(3), srv.URL), fixtures.Fault{Status: 503}, fixtures.Fault{Status: 429, RetryAfter: "0"})
	dir := t.TempDir()
	args := []string{"crawl", srv.ListingURL(0), "--db", "h.db", "--warc", "w", "--delay", "0", "--quiet", "--concurrency", "2"}
	if code, _, stderr := run(t, dir, args...); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	first := readWARCDir(t, filepath.Join(dir, "w"))
	// Every request the server saw is in the WARC, retries included.
	hits := map[string]int{}
	for _, e := range srv.Log() {
		hits[srv.URL+e.URI]++
	}
	if len(hits) != 21 { // robots.txt and 20 pages
		t.Fatalf("server saw %d URLs, want 21", len(hits))
	}
	for u, n := range hits {
		if first.requests[u] != n || first.responses[u]+first.revisits[u] != n {
			t.Errorf("%s: asked %d times; WARC holds %d requests, %d responses and %d revisits", u, n, first.requests[u], first.responses[u], first.revisits[u])
		}
	}
	if first.warcinfos != len(first.files) || len(first.files) == 0 {
		t.Errorf("%d warcinfo records in %d files", first.warcinfos, len(first.files))
	}

	// The same archive again: payloads already captured become revisits.
	if code, _, stderr := run(t, dir, args...); code != 0 {
		t.Fatalf("second run: exit %d\n%s", code, stderr)
	}
	both := readWARCDir(t, filepath.Join(dir, "w"))
	second := both.bytes - first.bytes
	t.Logf("WARC bytes: first run %d, re-harvest of the unchanged archive %d (%.1f%%)", first.bytes, second, 100*float64(second)/float64(first.bytes))
	if len(both.revisits) < 20 {
		t.Errorf("re-harvest wrote revisits for %d URLs, want every page", len(both.revisits))
	}
	leaveForWarcio(t, filepath.Join(dir, "w"), hits)
	if second*2 > first.bytes {
		t.Errorf("re-harvest wrote %d bytes, more than half the first run's %d (each exchange keeps its request record)", second, first.bytes)
	}
}

// leaveForWarcio copies the WARC files to HARVEST_WARCIO_DIR, with the
// fetched URLs, for CI to check with an independent reader (npm warcio).
func leaveForWarcio(t *testing.T, dir string, urls map[string]int) {
	out := os.Getenv("HARVEST_WARCIO_DIR")
	if out == "" {
		return
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, filepath.Base(p)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var list []string
	for u := range urls {
		list = append(list, u)
	}
	sort.Strings(list)
	if err := os.WriteFile(filepath.Join(out, "urls.txt"), []byte(strings.Join(list, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// `harvest reparse` over the captures of crawls made with a wrong profile
// gives the records a fresh crawl with the right profile gives, with the
// server gone (nothing can be fetched), and history rows for what it fixed.
// The second crawl's pages all came back 304: the page as last served
// counts, not the 304.
func TestReparseFixesAWrongProfile(t *testing.T) {
	srv := fixtures.NewServer(fixtures.NewArchive(120, 5))
	srv.Robots = "User-agent: *\nAllow: /\n"
	srv.Conditional = true
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// The summary selector picks the title: every summary is wrong.
	wrong := `{"name": "wrong", "records": ["td.document"], "title": "h4.title a", "date": ".date", "summary": "h4.title"}`
	if err := os.WriteFile(filepath.Join(dir, "wrong.json"), []byte(wrong), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"--delay", "0", "--quiet"}
	for range 2 {
		if code, _, stderr := run(t, dir, append([]string{"crawl", srv.ListingURL(0), "--db", "wrong.db", "--warc", "w", "--profile", "wrong.json"}, common...)...); code != 0 {
			t.Fatalf("crawl with the wrong profile: exit %d\n%s", code, stderr)
		}
	}
	if code, _, stderr := run(t, dir, append([]string{"crawl", srv.ListingURL(0), "--db", "right.db"}, common...)...); code != 0 {
		t.Fatalf("crawl with the right profile: exit %d\n%s", code, stderr)
	}
	srv.Close()
	requests := len(srv.Log())

	wrongRecs, right := records(t, filepath.Join(dir, "wrong.db")), records(t, filepath.Join(dir, "right.db"))
	if cmp.Equal(wrongRecs, right) {
		t.Fatal("the wrong profile gave the right records: the test proves nothing")
	}
	start := time.Now()
	if code, _, stderr := run(t, dir, "reparse", "--warc", "w", "--db", "wrong.db", "--quiet"); code != 0 {
		t.Fatalf("reparse: exit %d\n%s", code, stderr)
	}
	t.Logf("reparse of %d pages took %v", 12, time.Since(start))
	if diff := cmp.Diff(right, records(t, filepath.Join(dir, "wrong.db"))); diff != "" {
		t.Errorf("after reparse (-fresh crawl +reparsed):\n%s", diff)
	}
	if len(srv.Log()) != requests {
		t.Errorf("reparse sent %d requests", len(srv.Log())-requests)
	}
	code, stdout, _ := run(t, dir, "history", "--db", "wrong.db", right[firstKey(right)].URL)
	if code != 0 || !strings.Contains(stdout, "summary") {
		t.Errorf("history of a fixed record: exit %d\n%s", code, stdout)
	}

	// Into a new database, the captures alone give the same records.
	if code, _, stderr := run(t, dir, "reparse", "--warc", "w", "--db", "fresh.db", "--profile", "auto", "--quiet"); code != 0 {
		t.Fatalf("reparse into a new database: exit %d\n%s", code, stderr)
	}
	if diff := cmp.Diff(right, records(t, filepath.Join(dir, "fresh.db"))); diff != "" {
		t.Errorf("reparse into a new database (-fresh crawl +reparsed):\n%s", diff)
	}
}

func firstKey(m map[string]harvest.Record) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return fmt.Sprint(keys[0])
}

// `harvest demo` captures by default, so a newcomer sees the files; and
// `harvest warc index` rebuilds the CDXJ indexes it wrote, line for line.
func TestDemoCapturesAndIndexRebuilds(t *testing.T) {
	dir := t.TempDir()
	if code, stdout, stderr := run(t, dir, "demo", "--dir", "out", "--quiet"); code != 0 || !strings.Contains(stdout, "WARC:") {
		t.Fatalf("demo: exit %d\n%s\n%s", code, stdout, stderr)
	}
	w := filepath.Join(dir, "out", "warc")
	c := readWARCDir(t, w)
	if len(c.files) == 0 || len(c.responses) < 29 { // robots.txt and 29 pages
		t.Fatalf("demo wrote %d WARC files with %d responses", len(c.files), len(c.responses))
	}
	indexes, _ := filepath.Glob(filepath.Join(w, "*.cdxj"))
	written := map[string][]byte{}
	for _, p := range indexes {
		written[p], _ = os.ReadFile(p)
		os.Remove(p)
	}
	if code, _, stderr := run(t, dir, "warc", "index", w); code != 0 {
		t.Fatalf("warc index: exit %d\n%s", code, stderr)
	}
	for p, want := range written {
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s rebuilt differs from what the crawl wrote (%v)", filepath.Base(p), err)
		}
	}
	if code, _, _ := run(t, dir, "warc", "index"); code != 2 {
		t.Errorf("warc index without DIR: exit %d, want 2", code)
	}
	if code, _, _ := run(t, dir, "crawl", "http://127.0.0.1:1/", "--warc", "w", "--warc-max-size", "0"); code != 2 {
		t.Errorf("--warc-max-size 0: exit %d, want 2", code)
	}
}

// A password that url.Parse cannot read ('#', '?', '@' in it) is never
// quoted back: not by crawl, not by probe, whatever fails.
func TestPasswordsAreNeverQuoted(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"crawl", "http://bob:pa#ss?w@rd@127.0.0.1:1/search", "--db", "h.db", "--retries", "0"},
		{"probe", "http://bob:pa#ss?w@rd@127.0.0.1:1/search", "--ignore-robots"},
		{"crawl", "http://bob:s3cret@127.0.0.1:1/search", "--db", "h.db", "--retries", "0"},
		{"probe", "http://bob:s3cret@127.0.0.1:1/search"},
	} {
		code, stdout, stderr := run(t, dir, args...)
		if code == 0 || strings.Contains(stdout+stderr, "pa#ss") || strings.Contains(stdout+stderr, "s3cret") || strings.Contains(stdout+stderr, "w@rd") {
			t.Errorf("%v: exit %d, output quotes the password:\n%s%s", args, code, stdout, stderr)
		}
	}
}
