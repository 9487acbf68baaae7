package warc

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSURT(t *testing.T) {
	cases := []struct{ in, want string }{
		{"http://example.org/", "org,example)/"},
		{"https://www.Example.org/A/b?z=1&a=2#frag", "org,example)/a/b?a=2&z=1"},
		{"http://example.org:8080/x", "org,example:8080)/x"},
		{"https://example.org:443", "org,example)/"},
		{"not a url", "not a url"},
	}
	for _, tc := range cases {
		if got := surt(tc.in); got != tc.want {
			t.Errorf("surt(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCloseWritesCDXJ(t *testing.T) {
	dir := t.TempDir()
	w := mustOpen(t, Options{Dir: dir})
	mustWrite(t, w,
		exchange("http://example.org/b?x=1&a=2", plain("bee")),
		exchange("http://example.org/a", plain("bee")),
		exchange("http://example.org/c", notModified),
	)
	idx, err := os.ReadFile(filepath.Join(dir, "harvest-20261128034512-00000.cdxj"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(idx), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("index has %d lines, want 3:\n%s", len(lines), idx)
	}
	wantPrefix := []string{
		`org,example)/a 20261128034512 {"url":"http://example.org/a","mime":"warc/revisit","status":"200","digest":"` + sha1Digest([]byte("bee")) + `","length":"`,
		`org,example)/b?a=2&x=1 20261128034512 {"url":"http://example.org/b?x=1&a=2","mime":"text/html","status":"200","digest":"` + sha1Digest([]byte("bee")) + `","length":"`,
		`org,example)/c 20261128034512 {"url":"http://example.org/c","mime":"unk","status":"304","digest":"` + emptyDigest + `","length":"`,
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, wantPrefix[i]) || !strings.HasSuffix(l, `","filename":"harvest-20261128034512-00000.warc.gz"}`) {
			t.Errorf("line %d =\n%s\nwant prefix\n%s", i, l, wantPrefix[i])
		}
	}
	// Each entry's offset and length cut out exactly one gzip member holding its record.
	data, _ := os.ReadFile(filepath.Join(dir, "harvest-20261128034512-00000.warc.gz"))
	for _, l := range lines {
		e, err := parseLine(l)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := parseInt(e.Length)
		member := data[e.offset() : e.offset()+n]
		if !bytes.HasPrefix(member, []byte{0x1f, 0x8b}) {
			t.Errorf("%s: offset %s does not start a gzip member", e.URL, e.Offset)
		}
		got := readMember(t, member)
		if !strings.Contains(got, "WARC-Target-URI: "+e.URL+"\r\n") {
			t.Errorf("%s: member at %s holds another record:\n%s", e.URL, e.Offset, got)
		}
	}
}

func TestIndexRebuildsWhatCloseWrote(t *testing.T) {
	dir := t.TempDir()
	w := mustOpen(t, Options{Dir: dir, MaxSize: 16 << 10})
	var exs []Exchange
	for i := range 12 {
		exs = append(exs, exchange("http://example.org/p/"+string(rune('a'+i)), chunked(page(i%8, 6<<10), 1000)))
	}
	mustWrite(t, w, exs...)
	indexes := files(t, dir, "*.cdxj")
	if len(indexes) < 2 {
		t.Fatalf("indexes = %v, want several files", indexes)
	}
	written := map[string]string{}
	for _, n := range indexes {
		b, _ := os.ReadFile(filepath.Join(dir, n))
		written[n] = string(b)
		os.Remove(filepath.Join(dir, n))
	}
	if err := Index(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	for n, want := range written {
		got, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s rebuilt =\n%s\nwant\n%s", n, got, want)
		}
	}
}

func TestOpenLearnsDigestsFromWARCWithoutIndex(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, mustOpen(t, Options{Dir: dir}), exchange("http://example.org/", plain("once")))
	for _, n := range files(t, dir, "*.cdxj") {
		os.Remove(filepath.Join(dir, n))
	}
	w := mustOpen(t, Options{Dir: dir})
	mustWrite(t, w, exchange("http://example.org/", plain("once")))
	if s := w.Stats(); s.Revisits != 1 {
		t.Errorf("stats = %+v, want the repeat stored as a revisit", s)
	}
}

func TestMediaType(t *testing.T) {
	cases := []struct{ header, want string }{
		{"HTTP/1.1 200 OK\r\nContent-Type: text/HTML; charset=utf-8\r\n\r\n", "text/html"},
		{"HTTP/1.1 200 OK\r\nX: y\r\ncontent-type:application/json\r\n\r\n", "application/json"},
		{"HTTP/1.1 200 OK\nContent-Type: image/png\n\n", "image/png"},
		{"HTTP/1.1 200 OK\r\nContent-Type: text/plain;\r\n charset=latin1\r\n\r\n", "text/plain"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", "unk"},
		{"HTTP/1.1 200 OK\r\n\r\nContent-Type: text/plain\r\n", "unk"},
		{"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Type: text/html\r\n\r\n", "text/plain"},
	}
	for _, tc := range cases {
		if got := mediaType([]byte(tc.header)); got != tc.want {
			t.Errorf("mediaType(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}
