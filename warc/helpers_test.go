package warc

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// t0 is the time every test exchange is sent at, unless a test says otherwise.
var t0 = time.Date(2026, 11, 28, 3, 45, 12, 0, time.UTC)

// get returns the raw bytes of a GET request for target.
func get(target string) []byte {
	return []byte("GET " + target + " HTTP/1.1\r\nHost: example.org\r\nUser-Agent: harvest-test\r\n\r\n")
}

// plain returns a raw 200 response with body sent as is.
func plain(body string) []byte {
	return []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
}

// chunked returns a raw 200 response with body sent in chunks of size n.
func chunked(body string, n int) []byte {
	var b strings.Builder
	b.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
	for len(body) > 0 {
		k := min(n, len(body))
		fmt.Fprintf(&b, "%x\r\n%s\r\n", k, body[:k])
		body = body[k:]
	}
	b.WriteString("0\r\n\r\n")
	return []byte(b.String())
}

// gzipped returns a raw 200 response with body gzip content-encoded.
func gzipped(body string) []byte {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(body))
	zw.Close()
	head := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n", z.Len())
	return append([]byte(head), z.Bytes()...)
}

// gzippedChunked returns a raw 200 response with body gzip content-encoded
// and then sent in chunks of size n.
func gzippedChunked(body string, n int) []byte {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(body))
	zw.Close()
	c := chunked(z.String(), n)
	return bytes.Replace(c, []byte("Transfer-Encoding: chunked\r\n"), []byte("Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"), 1)
}

// notModified is a raw 304 response, which has no body.
var notModified = []byte("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n")

// exchange returns an exchange of a GET of target answered by resp at t0.
func exchange(target string, resp []byte) Exchange {
	return Exchange{URL: target, Date: t0, IP: "127.0.0.1", Request: get(target), Response: resp}
}

// mustOpen opens a Writer on dir with fixed time and test defaults.
func mustOpen(tb testing.TB, opts Options) *Writer {
	tb.Helper()
	if opts.Software == "" {
		opts.Software = "harvest/test"
	}
	if opts.now == nil {
		opts.now = func() time.Time { return t0 }
	}
	w, err := Open(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

// mustWrite writes every exchange and closes w.
func mustWrite(tb testing.TB, w *Writer, exs ...Exchange) {
	tb.Helper()
	for _, ex := range exs {
		if err := w.Write(ex); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
}

// files returns the base names in dir matching pattern.
func files(tb testing.TB, dir, pattern string) []string {
	tb.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		tb.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

// words make up test pages.
var words = strings.Fields("archive harvest record listing page document table row cell link date title author " +
	"register minutes council budget report annex decision meeting agenda item vote member office public notice")

// page returns an HTML page of about n bytes, the same for the same i, with
// text that compresses about as well as real pages do.
func page(i, n int) string {
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html><head><title>Page %d</title></head><body>\n", i)
	for j := 0; b.Len() < n; j++ {
		fmt.Fprintf(&b, "<p id=\"r%d\">%d", j, rng.Int64())
		for range 8 {
			b.WriteString(" " + words[rng.IntN(len(words))])
		}
		b.WriteString("</p>\n")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// readAll returns every capture Read delivers from dir.
func readAll(tb testing.TB, dir string) []Capture {
	tb.Helper()
	var out []Capture
	if err := Read(tb.Context(), dir, func(c Capture) error { out = append(out, c); return nil }); err != nil {
		tb.Fatal(err)
	}
	return out
}

// fileSize returns the size of path.
func fileSize(tb testing.TB, path string) int64 {
	tb.Helper()
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}

// parseInt parses a decimal CDXJ field.
func parseInt(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

// readMember decompresses exactly one gzip member.
func readMember(tb testing.TB, member []byte) string {
	tb.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(member))
	if err != nil {
		tb.Fatal(err)
	}
	zr.Multistream(false)
	b, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
