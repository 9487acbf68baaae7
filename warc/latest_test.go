package warc

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// ReadLatest hands over the latest capture of each URL (a revisit resolved
// to its original payload), only for the URLs keep accepts.
func TestReadLatest(t *testing.T) {
	dir := t.TempDir()
	at := func(target string, resp []byte, d time.Duration) Exchange {
		ex := exchange(target, resp)
		ex.Date = t0.Add(d)
		return ex
	}
	a1, a2, b := page(1, 4<<10), page(2, 4<<10), page(3, 4<<10)
	// Night one: a and b.
	mustWrite(t, mustOpen(t, Options{Dir: dir}), at("http://h/a", plain(a1), 0), at("http://h/b", chunked(b, 1000), 0), at("http://h/robots.txt", plain("User-agent: *"), 0))
	// Night two: a changed, b the same (a revisit).
	mustWrite(t, mustOpen(t, Options{Dir: dir, now: func() time.Time { return t0.Add(24 * time.Hour) }}),
		at("http://h/a", plain(a2), 24*time.Hour), at("http://h/b", bytes.Replace(chunked(b, 1000), []byte("Content-Type: text/html\r\n"), []byte("Content-Type: text/html\r\nETag: \"two\"\r\n"), 1), 24*time.Hour))
	// Night three: a not modified, b an error page: neither hides the page
	// as last served.
	mustWrite(t, mustOpen(t, Options{Dir: dir, now: func() time.Time { return t0.Add(48 * time.Hour) }}),
		at("http://h/a", notModified, 48*time.Hour), at("http://h/b", []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"), 48*time.Hour))
	got := map[string]Capture{}
	err := ReadLatest(context.Background(), dir, func(u string) bool { return !strings.HasSuffix(u, "/robots.txt") }, func(c Capture) error {
		if _, dup := got[c.URL]; dup {
			t.Errorf("%s handed over twice", c.URL)
		}
		got[c.URL] = c
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url     string
		body    string
		revisit bool
	}{
		{"http://h/a", a2, false},
		{"http://h/b", b, true},
	}
	if len(got) != len(tests) {
		t.Errorf("got %d captures, want %d (robots.txt left out)", len(got), len(tests))
	}
	for _, tt := range tests {
		c := got[tt.url]
		if tt.revisit && c.Header.Get("ETag") != `"two"` {
			t.Errorf("%s: header %v, want the revisit's own (its ETag)", tt.url, c.Header)
		}
		if string(c.Body) != tt.body || c.Revisit != tt.revisit || !c.Date.Equal(t0.Add(24*time.Hour)) || c.Status != 200 {
			t.Errorf("%s: body %d bytes (want %d), revisit %v, date %v, status %d", tt.url, len(c.Body), len(tt.body), c.Revisit, c.Date, c.Status)
		}
	}
}

// A response whose header ends in a bare LF (servers send them; Go reads
// them) comes back whole, a CRLFCRLF in its body included.
func TestReadLatestBareLF(t *testing.T) {
	dir := t.TempDir()
	body := "<html>\r\n\r\n<p>one</p></html>"
	resp := []byte("HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Length: " + fmt.Sprint(len(body)) + "\n\n" + body)
	mustWrite(t, mustOpen(t, Options{Dir: dir}), exchange("http://h/lf", resp))
	var got []Capture
	if err := ReadLatest(context.Background(), dir, nil, func(c Capture) error { got = append(got, c); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || string(got[0].Body) != body || got[0].Header.Get("Content-Type") != "text/html" {
		t.Fatalf("got %+v", got)
	}
}
