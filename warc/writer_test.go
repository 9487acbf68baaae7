package warc

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	gowarc "github.com/nlnwa/gowarc/v3"
)

// libRecord is a record as gowarc's own reader sees it, digests verified.
type libRecord struct {
	typ     string
	header  *gowarc.WarcFields
	payload []byte
}

// readWithLibrary reads every record of a WARC file with gowarc's reader,
// failing the test on any validation finding (digests included).
func readWithLibrary(t *testing.T, path string) []libRecord {
	t.Helper()
	rd, err := gowarc.NewWarcFileReader(path, 0, gowarc.WithStrictValidation())
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var out []libRecord
	for rec, err := range rd.Records() {
		if err != nil {
			t.Fatalf("%s at %d: %v", filepath.Base(path), rec.Offset, err)
		}
		if len(rec.Validation) > 0 {
			t.Fatalf("%s at %d: %v", filepath.Base(path), rec.Offset, rec.Validation)
		}
		r := libRecord{typ: rec.WarcRecord.Type().String(), header: rec.WarcRecord.WarcHeader()}
		if b, ok := rec.WarcRecord.Block().(gowarc.PayloadBlock); ok && r.typ != "warcinfo" {
			pr, err := b.PayloadBytes()
			if err != nil {
				t.Fatal(err)
			}
			r.payload, _ = io.ReadAll(pr)
		} else {
			pr, err := rec.WarcRecord.Block().RawBytes()
			if err != nil {
				t.Fatal(err)
			}
			r.payload, _ = io.ReadAll(pr)
		}
		rec.Close()
		out = append(out, r)
	}
	return out
}

func TestWriteThenReadWithLibrary(t *testing.T) {
	const body = "<html><body>Hello, archive.</body></html>"
	cases := []struct {
		name     string
		response []byte
		digestOf string // the bytes WARC-Payload-Digest is taken over
	}{
		{"Plain", plain(body), body},
		{"Chunked", chunked(body, 7), string(chunked(body, 7)[len("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"):])},
		{"Gzip", gzipped(body), ""},
		{"GzipChunked", gzippedChunked(body, 10), ""},
		{"NotModified", notModified, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w := mustOpen(t, Options{Dir: dir, Info: map[string]string{"runID": "42", "startURL": "http://example.org/"}})
			mustWrite(t, w, exchange("http://example.org/a", tc.response))

			names := files(t, dir, "*.warc.gz")
			if want := []string{"harvest-20261128034512-00000.warc.gz"}; strings.Join(names, ",") != strings.Join(want, ",") {
				t.Fatalf("files = %v, want %v", names, want)
			}
			recs := readWithLibrary(t, filepath.Join(dir, names[0]))
			if len(recs) != 3 || recs[0].typ != "warcinfo" || recs[1].typ != "request" || recs[2].typ != "response" {
				t.Fatalf("records = %v, want warcinfo, request, response", recs)
			}
			info, req, resp := recs[0], recs[1], recs[2]
			infoID := info.header.Get(gowarc.WarcRecordID)
			for _, r := range recs[1:] {
				for _, f := range []string{gowarc.WarcRecordID, gowarc.WarcDate, gowarc.WarcTargetURI, gowarc.WarcIPAddress, gowarc.WarcBlockDigest, gowarc.WarcPayloadDigest} {
					if r.header.Get(f) == "" {
						t.Errorf("%s record lacks %s", r.typ, f)
					}
				}
				if got := r.header.Get(gowarc.WarcWarcinfoID); got != infoID {
					t.Errorf("%s WARC-Warcinfo-ID = %q, want %q", r.typ, got, infoID)
				}
				if d := r.header.Get(gowarc.WarcPayloadDigest); !strings.HasPrefix(d, "sha1:") || len(d) != 37 {
					t.Errorf("%s payload digest %q is not sha1 base32", r.typ, d)
				}
			}
			if req.header.Get(gowarc.WarcConcurrentTo) != resp.header.Get(gowarc.WarcRecordID) ||
				resp.header.Get(gowarc.WarcConcurrentTo) != req.header.Get(gowarc.WarcRecordID) {
				t.Error("request and response do not name each other in WARC-Concurrent-To")
			}
			if got := resp.header.Get(gowarc.ContentType); got != "application/http;msgtype=response" {
				t.Errorf("response Content-Type = %q", got)
			}
			if got := req.header.Get(gowarc.ContentType); got != "application/http;msgtype=request" {
				t.Errorf("request Content-Type = %q", got)
			}
			_, rawPayload, _ := splitHTTP(tc.response)
			if string(resp.payload) != string(rawPayload) {
				t.Error("response payload is not the raw bytes as received")
			}
			if tc.digestOf != "" {
				if got, want := resp.header.Get(gowarc.WarcPayloadDigest), sha1Digest([]byte(tc.digestOf)); got != want {
					t.Errorf("payload digest = %s, want %s (over the bytes as transferred)", got, want)
				}
			}
			if !strings.Contains(string(info.payload), "software: harvest/test\r\n") ||
				!strings.Contains(string(info.payload), "runID: 42\r\nstartURL: http://example.org/\r\n") {
				t.Errorf("warcinfo lacks software or sorted Info fields:\n%s", info.payload)
			}
		})
	}
}

func TestReadDecodesBodies(t *testing.T) {
	const body = "<html><body>Grüße, archive.</body></html>"
	cases := []struct {
		name     string
		response []byte
		status   int
		want     string
	}{
		{"Plain", plain(body), 200, body},
		{"Chunked", chunked(body, 5), 200, body},
		{"Gzip", gzipped(body), 200, body},
		{"GzipChunked", gzippedChunked(body, 16), 200, body},
		{"NotModified", notModified, 304, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			mustWrite(t, mustOpen(t, Options{Dir: dir}), exchange("http://example.org/a", tc.response))
			got := readAll(t, dir)
			if len(got) != 1 {
				t.Fatalf("got %d captures, want 1", len(got))
			}
			c := got[0]
			if c.URL != "http://example.org/a" || !c.Date.Equal(t0) || c.Status != tc.status || string(c.Body) != tc.want || c.Revisit {
				t.Errorf("capture = %+v, want url, date, status %d, body %q", c, tc.status, tc.want)
			}
			if c.File != "harvest-20261128034512-00000.warc.gz" || c.Offset <= 0 {
				t.Errorf("capture from %s at %d", c.File, c.Offset)
			}
		})
	}
}

func TestFileIsOpenUntilClosed(t *testing.T) {
	dir := t.TempDir()
	w := mustOpen(t, Options{Dir: dir})
	if err := w.Write(exchange("http://example.org/", plain("x"))); err != nil {
		t.Fatal(err)
	}
	if got := files(t, dir, "*.warc.gz"); len(got) != 0 {
		t.Errorf("finished files before Close: %v", got)
	}
	if got := files(t, dir, "*.warc.gz.open"); len(got) != 1 {
		t.Errorf("open files before Close: %v", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := files(t, dir, "*.open"); len(got) != 0 {
		t.Errorf("open files after Close: %v", got)
	}
	if err := w.Write(exchange("http://example.org/", plain("x"))); err == nil {
		t.Error("Write after Close succeeded")
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	w := mustOpen(t, Options{Dir: dir, Prefix: "crawl", MaxSize: 20 << 10})
	var exs []Exchange
	for i := range 20 {
		exs = append(exs, exchange("http://example.org/p"+string(rune('a'+i)), plain(page(i, 8<<10))))
	}
	mustWrite(t, w, exs...)
	names := files(t, dir, "*.warc.gz")
	if len(names) < 2 {
		t.Fatalf("files = %v, want rotation", names)
	}
	for i, n := range names {
		if want := "crawl-20261128034512-0000" + string(rune('0'+i)) + ".warc.gz"; n != want {
			t.Errorf("file %d = %s, want %s", i, n, want)
		}
		recs := readWithLibrary(t, filepath.Join(dir, n))
		if recs[0].typ != "warcinfo" {
			t.Errorf("%s does not start with warcinfo", n)
		}
		if _, err := os.Stat(filepath.Join(dir, strings.TrimSuffix(n, ".warc.gz")+".cdxj")); err != nil {
			t.Errorf("%s has no index: %v", n, err)
		}
	}
	// Every file but the last passed MaxSize only with its last record.
	for _, n := range names[:len(names)-1] {
		if size := fileSize(t, filepath.Join(dir, n)); size <= 20<<10 || size > 20<<10+8<<10 {
			t.Errorf("%s has %d bytes, want just over %d", n, size, 20<<10)
		}
	}
	if got := len(readAll(t, dir)); got != 20 {
		t.Errorf("read back %d captures, want 20", got)
	}
	if s := w.Stats(); s.Files != len(names) || s.Exchanges != 20 || s.Responses != 20 || s.Revisits != 0 {
		t.Errorf("stats = %+v", s)
	}
}

func TestRevisits(t *testing.T) {
	dir := t.TempDir()
	pages := make([]Exchange, 30)
	for i := range pages {
		pages[i] = exchange("http://example.org/p/"+string(rune('a'+i)), plain(page(i, 20<<10)))
	}

	first := mustOpen(t, Options{Dir: dir})
	mustWrite(t, first, pages...)
	second := mustOpen(t, Options{Dir: dir})
	mustWrite(t, second, pages...)

	names := files(t, dir, "*.warc.gz")
	if len(names) != 2 {
		t.Fatalf("files = %v, want one per run", names)
	}
	a, b := fileSize(t, filepath.Join(dir, names[0])), fileSize(t, filepath.Join(dir, names[1]))
	if b*5 > a {
		t.Errorf("second run wrote %d bytes, first %d: want under a fifth", b, a)
	}
	t.Logf("WARC bytes: first run %d, the same pages again %d (%.1f%%)", a, b, 100*float64(b)/float64(a))
	if s := second.Stats(); s.Revisits != 30 || s.Responses != 0 {
		t.Errorf("second run stats = %+v, want 30 revisits", s)
	}

	recs := readWithLibrary(t, filepath.Join(dir, names[1]))
	var revisits int
	for _, r := range recs {
		if r.typ != "revisit" {
			continue
		}
		revisits++
		if got := r.header.Get(gowarc.WarcProfile); got != "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest" {
			t.Errorf("profile = %q", got)
		}
		if r.header.Get(gowarc.WarcRefersToTargetURI) != r.header.Get(gowarc.WarcTargetURI) || r.header.Get(gowarc.WarcRefersToDate) == "" {
			t.Errorf("revisit does not refer to its original: %v", r.header)
		}
		if len(r.payload) != 0 {
			t.Error("revisit carries a payload")
		}
	}
	if revisits != 30 {
		t.Errorf("%d revisit records, want 30", revisits)
	}

	got := readAll(t, dir)
	if len(got) != 60 {
		t.Fatalf("read %d captures, want 60", len(got))
	}
	for i, c := range got[30:] {
		if !c.Revisit || c.File != names[1] || c.Status != 200 || string(c.Body) != page(i, 20<<10) || c.Header.Get("Content-Type") == "" {
			t.Errorf("capture %d = %s revisit=%v status=%d, body intact=%v", 30+i, c.URL, c.Revisit, c.Status, string(c.Body) == page(i, 20<<10))
		}
	}
}

func TestRevisitWithinOneRun(t *testing.T) {
	cases := []struct {
		name     string
		response []byte
		revisit  bool
	}{
		{"SamePayload", plain("same"), true},
		{"SamePayloadOtherHeaders", []byte("HTTP/1.1 200 OK\r\nX-Other: 1\r\n\r\nsame"), true},
		{"NotModified", notModified, false},
		{"EmptyPayload", []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w := mustOpen(t, Options{Dir: dir})
			first := tc.response
			if tc.revisit {
				first = plain("same")
			}
			mustWrite(t, w, exchange("http://example.org/1", first), exchange("http://example.org/2", tc.response))
			got := readAll(t, dir)
			if len(got) != 2 || got[0].Revisit || got[1].Revisit != tc.revisit {
				t.Fatalf("captures = %+v, want second revisit=%v", got, tc.revisit)
			}
		})
	}
}

func TestConcurrentWrite(t *testing.T) {
	dir := t.TempDir()
	w := mustOpen(t, Options{Dir: dir, MaxSize: 64 << 10})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				n := g*25 + i
				ex := exchange("http://example.org/c/"+http.StatusText(200)+"/"+string(rune('A'+g))+string(rune('a'+i)), plain(page(n%150, 4<<10)))
				if err := w.Write(ex); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, n := range files(t, dir, "*.warc.gz") {
		readWithLibrary(t, filepath.Join(dir, n))
	}
	got := readAll(t, dir)
	if len(got) != 200 {
		t.Fatalf("read %d captures, want 200", len(got))
	}
	if s := w.Stats(); s.Responses != 150 || s.Revisits != 50 {
		t.Errorf("stats = %+v, want 150 responses and 50 revisits", s)
	}
}

func TestWriteRejectsBadExchange(t *testing.T) {
	cases := []struct {
		name string
		ex   Exchange
	}{
		{"NoURL", Exchange{Response: plain("x")}},
		{"NoResponse", Exchange{URL: "http://example.org/"}},
		{"NoScheme", Exchange{URL: "/relative", Request: get("/relative"), Response: plain("x")}},
		{"ControlInURL", Exchange{URL: "http://example.org/\r\nX-Injected: 1", Request: get("/"), Response: plain("x")}},
		{"BadIP", Exchange{URL: "http://example.org/", IP: "not-an-ip", Request: get("/"), Response: plain("x")}},
		{"NoRequest", Exchange{URL: "http://example.org/", Response: plain("x")}},
		{"RequestWithoutBlankLine", Exchange{URL: "http://example.org/", Request: []byte("GET / HTTP/1.1\r\nHost: example.org"), Response: plain("x")}},
		{"ResponseWithoutBlankLine", Exchange{URL: "http://example.org/", Request: get("/"), Response: []byte("HTTP/1.1 200 OK\r\nX: y")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := mustOpen(t, Options{Dir: t.TempDir()})
			defer w.Close()
			if err := w.Write(tc.ex); err == nil {
				t.Error("Write succeeded")
			}
		})
	}
}

// TestStrictReaderAcceptsEveryRecordType writes every kind of record this
// package makes (warcinfo, request, response, revisit) from many kinds of
// exchange, across a rotation, and reads each file back with gowarc's strict
// reader, which fails on any syntax error, spec violation or wrong digest.
func TestStrictReaderAcceptsEveryRecordType(t *testing.T) {
	dir := t.TempDir()
	big := page(9, 40<<10)
	exs := []Exchange{
		exchange("http://example.org/plain", plain(big)),
		exchange("http://example.org/chunked", chunked(page(2, 10<<10), 999)),
		exchange("http://example.org/gzip", gzipped(page(3, 10<<10))),
		exchange("http://example.org/gzip-chunked", gzippedChunked(page(4, 10<<10), 100)),
		exchange("http://example.org/not-modified", notModified),
		exchange("http://example.org/empty", []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")),
		exchange("https://example.org:8443/plain-again?b=2&a=1", plain(big)),
		{URL: "http://example.org/post", Date: t0, IP: "::1", Request: []byte("POST /post HTTP/1.1\r\nHost: example.org\r\nContent-Length: 3\r\n\r\na=b"), Response: plain("posted")},
		{URL: "http://example.org/lf", Date: t0, Request: []byte("GET /lf HTTP/1.1\nHost: example.org\n\n"), Response: []byte("HTTP/1.1 200 OK\nContent-Type: text/plain\n\nbare newlines")},
		{URL: "http://example.org/ünïcode path", Date: t0, IP: "10.0.0.1", Request: get("/x"), Response: plain(big)},
	}
	w := mustOpen(t, Options{Dir: dir, MaxSize: 30 << 10, Software: "harvest/test", Info: map[string]string{"operator": "line\r\nbreak"}})
	mustWrite(t, w, exs...)
	names := files(t, dir, "*.warc.gz")
	if len(names) < 2 {
		t.Fatalf("files = %v, want a rotation", names)
	}
	types := map[string]int{}
	ids := map[string]string{} // WARC-Record-ID -> WARC-Type
	var revisits []libRecord
	for _, n := range names {
		for _, r := range readWithLibrary(t, filepath.Join(dir, n)) {
			types[r.typ]++
			ids[r.header.Get(gowarc.WarcRecordID)] = r.typ
			if r.typ == "revisit" {
				revisits = append(revisits, r)
			}
		}
	}
	if types["warcinfo"] != len(names) || types["request"] != len(exs) || types["response"]+types["revisit"] != len(exs) || types["revisit"] != 2 {
		t.Errorf("record types = %v over %d files, want a warcinfo each, %d requests and 2 revisits", types, len(names), len(exs))
	}
	for _, r := range revisits {
		if ref := r.header.Get(gowarc.WarcRefersTo); ids[ref] != "response" {
			t.Errorf("revisit of %s: WARC-Refers-To %q names no response record", r.header.Get(gowarc.WarcTargetURI), ref)
		}
		if r.header.Get(gowarc.WarcRefersToTargetURI) != "http://example.org/plain" {
			t.Errorf("revisit of %s refers to %s", r.header.Get(gowarc.WarcTargetURI), r.header.Get(gowarc.WarcRefersToTargetURI))
		}
	}
	if got := len(readAll(t, dir)); got != len(exs) {
		t.Errorf("read %d captures, want %d", got, len(exs))
	}
}

// TestFailedWriteLeavesNoRevisitTarget checks that a payload whose first
// write failed is written in full the next time, not as a revisit of
// nothing.
func TestFailedWriteLeavesNoRevisitTarget(t *testing.T) {
	dir := t.TempDir()
	w := mustOpen(t, Options{Dir: dir})
	// Take the name of the writer's first file so that creating it fails.
	block := filepath.Join(dir, "harvest-20261128034512-00000.warc.gz.open")
	if err := os.WriteFile(block, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(exchange("http://example.org/1", plain("payload"))); err == nil {
		t.Fatal("Write succeeded though its file could not be created")
	}
	if err := os.Remove(block); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, w, exchange("http://example.org/2", plain("payload")), exchange("http://example.org/3", plain("payload")))
	if s := w.Stats(); s.Responses != 1 || s.Revisits != 1 {
		t.Errorf("stats = %+v, want 1 response and 1 revisit", s)
	}
	got := readAll(t, dir)
	if len(got) != 2 || got[0].URL != "http://example.org/2" || got[0].Revisit || !got[1].Revisit || string(got[1].Body) != "payload" {
		t.Errorf("captures = %+v", got)
	}
}
