package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// memRecorder keeps exchanges in memory.
type memRecorder struct {
	mu  sync.Mutex
	exs []Exchange
}

func (m *memRecorder) Record(ex Exchange) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.exs = append(m.exs, ex)
	return nil
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	cfg.UserAgent = "harvest-test"
	return New(t.Context(), cfg)
}

// What the recorder is handed is what crossed the wire: the request as sent
// and the response with its encodings kept, chunked or gzip; the caller gets
// the decoded page.
func TestRecorderSeesTheWire(t *testing.T) {
	page := strings.Repeat("<p>Пример страницы</p>", 400) // past net/http's buffer: chunked
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(page))
	zw.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	})
	mux.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			t.Errorf("request did not ask for gzip: %v", r.Header)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", fmt.Sprint(gz.Len()))
		w.Write(gz.Bytes())
	})
	mux.HandleFunc("/304", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotModified) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		path       string
		wantStatus int
		wantWire   []string // in the recorded response
		wantBody   string
	}{
		{"/chunked", 200, []string{"Transfer-Encoding: chunked\r\n", "\r\n0\r\n\r\n"}, page},
		{"/gzip", 200, []string{"Content-Encoding: gzip\r\n", string(gz.Bytes()[:20])}, page},
		{"/304", 304, []string{"HTTP/1.1 304 Not Modified\r\n"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := &memRecorder{}
			cl := newClient(t, Config{Concurrency: 1, Recorder: rec})
			resp, err := cl.Get(t.Context(), srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tt.wantStatus || string(resp.Body) != tt.wantBody {
				t.Errorf("got HTTP %d, body %d bytes; want %d, %d bytes", resp.Status, len(resp.Body), tt.wantStatus, len(tt.wantBody))
			}
			if len(rec.exs) != 1 {
				t.Fatalf("%d exchanges recorded, want 1", len(rec.exs))
			}
			ex := rec.exs[0]
			if !bytes.HasPrefix(ex.Request, []byte("GET "+tt.path+" HTTP/1.1\r\n")) || !bytes.Contains(ex.Request, []byte("User-Agent: harvest-test\r\n")) {
				t.Errorf("request recorded as %q", ex.Request)
			}
			if !bytes.HasPrefix(ex.Response, []byte("HTTP/1.1 ")) {
				t.Errorf("response recorded as %q", ex.Response[:min(60, len(ex.Response))])
			}
			for _, w := range tt.wantWire {
				if !bytes.Contains(ex.Response, []byte(w)) {
					t.Errorf("recorded response lacks %q", w)
				}
			}
			if ex.IP != "127.0.0.1" || ex.URL != srv.URL+tt.path || ex.Date.IsZero() {
				t.Errorf("exchange %s from %q at %v", ex.URL, ex.IP, ex.Date)
			}
		})
	}
}

// Each retry is an exchange of its own, recorded.
func TestRecorderSeesEveryRetry(t *testing.T) {
	var n int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		if n < 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "<p>ok</p>")
	}))
	defer srv.Close()
	rec := &memRecorder{}
	cl := newClient(t, Config{Concurrency: 1, Recorder: rec, Retry: Retry{Retries: 3, Backoff: time.Millisecond}})
	if _, err := cl.Get(t.Context(), srv.URL+"/p", nil); err != nil {
		t.Fatal(err)
	}
	if len(rec.exs) != 3 || cl.Requests() != 3 {
		t.Fatalf("%d exchanges recorded, %d requests; want 3 and 3", len(rec.exs), cl.Requests())
	}
	for i, want := range []string{"503", "503", "200"} {
		if !bytes.HasPrefix(rec.exs[i].Response, []byte("HTTP/1.1 "+want)) {
			t.Errorf("exchange %d: %q", i, rec.exs[i].Response[:12])
		}
	}
}

// Waiting for one's turn does not count against the request's timeout: with
// requests 300 ms apart and a 250 ms timeout, every request succeeds.
func TestTimeoutStartsAfterTheTurn(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		fmt.Fprint(w, "<p>ok</p>")
	}))
	defer srv.Close()
	cl := newClient(t, Config{Concurrency: 3, Delay: 300 * time.Millisecond, Timeout: 250 * time.Millisecond})
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for i := range 3 {
		wg.Go(func() {
			if _, err := cl.Get(t.Context(), fmt.Sprintf("%s/p%d", srv.URL, i), nil); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A server slower than the timeout fails the request with a message naming
// the timeout.
func TestTimeoutNamesItself(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	cl := newClient(t, Config{Concurrency: 1, Timeout: 100 * time.Millisecond})
	_, err := cl.Get(t.Context(), srv.URL+"/slow", nil)
	var fe *Error
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "--timeout") {
		t.Fatalf("err = %v, want a fetch error naming --timeout", err)
	}
}

// Redirects: followed on the host, refused off it, and a loop is named.
func TestRedirects(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "elsewhere") }))
	defer other.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/here", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/here", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<p>here</p>") })
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, other.URL+"/x", http.StatusFound) })
	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/b", http.StatusFound) })
	mux.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/a", http.StatusFound) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		path    string
		wantErr error
		wantURL string
	}{
		{"/moved", nil, srv.URL + "/here"},
		{"/away", ErrOffHost, ""},
		{"/a", ErrRedirectLoop, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := &memRecorder{}
			cl := newClient(t, Config{Concurrency: 1, Host: host, Recorder: rec})
			resp, err := cl.Get(t.Context(), srv.URL+tt.path, nil)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.URL != tt.wantURL || !resp.Redirected {
				t.Errorf("ended at %s (redirected %v), want %s", resp.URL, resp.Redirected, tt.wantURL)
			}
			if len(rec.exs) != 2 {
				t.Errorf("%d exchanges recorded, want the redirect and the page", len(rec.exs))
			}
		})
	}
}

// A charset declared only in the header is decoded once, by harvest, with
// invalid bytes counted; a challenge page halts the client.
func TestDecodeAndChallenge(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/latin1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		w.Write([]byte("<p>Caf\xe9</p>"))
	})
	mux.HandleFunc("/challenge", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<html><script>triggerInterstitialChallenge()</script></html>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	cl := newClient(t, Config{Concurrency: 1})
	resp, err := cl.Get(t.Context(), srv.URL+"/latin1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "<p>Café</p>" || resp.Charset == "" || resp.Header.Get("Content-Type") != "text/html; charset=iso-8859-1" {
		t.Errorf("body %q charset %q content-type %q", resp.Body, resp.Charset, resp.Header.Get("Content-Type"))
	}
	resp, err = cl.Get(t.Context(), srv.URL+"/challenge", nil)
	if err != nil || !resp.Challenge {
		t.Fatalf("challenge: %+v, %v", resp, err)
	}
	if _, err := cl.Get(t.Context(), srv.URL+"/latin1", nil); !errors.Is(err, ErrHalted) {
		t.Errorf("after a challenge: err = %v, want ErrHalted", err)
	}
}

func TestRobots(t *testing.T) {
	body := []byte("User-agent: *\nDisallow: /private\nCrawl-delay: 2\n")
	tests := []struct {
		name    string
		status  int
		body    []byte
		allowed map[string]bool
		delay   time.Duration
	}{
		{"rules", 200, body, map[string]bool{"http://h/private/x": false, "http://h/search?page=1": true}, 2 * time.Second},
		{"none there (404)", 404, nil, map[string]bool{"http://h/private/x": true, "http://h/": true}, 0},
		{"server error disallows all (RFC 9309)", 503, nil, map[string]bool{"http://h/private/x": false, "http://h/": false, "http://h/search": false}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRobots(tt.status, tt.body, "harvest")
			if err != nil {
				t.Fatal(err)
			}
			for u, want := range tt.allowed {
				if got := r.Allowed(u); got != want {
					t.Errorf("Allowed(%s) = %v, want %v", u, got, want)
				}
			}
			if r.CrawlDelay() != tt.delay {
				t.Errorf("CrawlDelay = %v, want %v", r.CrawlDelay(), tt.delay)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"soon", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := RetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// A Retry-After longer than MaxWait fails the request at once and holds the
// host no longer than MaxWait.
func TestRetryAfterPastMaxWait(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "86400")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	cl := newClient(t, Config{Concurrency: 1, Retry: Retry{Retries: 4, Backoff: time.Millisecond, MaxWait: 200 * time.Millisecond}})
	start := time.Now()
	resp, err := cl.Get(t.Context(), srv.URL+"/p", nil)
	if err != nil || resp.Status != 429 || cl.Requests() != 1 {
		t.Fatalf("got %v, %v after %d requests; want the 429 at once", resp, err, cl.Requests())
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := cl.Get(ctx, srv.URL+"/q", nil); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("the host was held %v; want about MaxWait", waited)
	}
}

// A long hold is never silent: the warning names the host and how long.
func TestLongRetryAfterIsLogged(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "86400")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	var logs bytes.Buffer
	cl := newClient(t, Config{Concurrency: 1, Retry: Retry{MaxWait: 10 * time.Minute}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if _, err := cl.Get(t.Context(), srv.URL+"/p", nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "retry_after=24h0m0s") || !strings.Contains(logs.String(), "holding_for=10m0s") {
		t.Errorf("log = %q; want the asked and the held time", logs.String())
	}
}

// With several requests in flight over kept-alive connections, each
// exchange holds its own request and its own response, never a neighbour's.
func TestRecorderKeepsExchangesApartUnderConcurrency(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<p>MARK[%s]</p>%s", r.URL.Path, strings.Repeat("x", 3000))
	}))
	defer srv.Close()
	rec := &memRecorder{}
	cl := newClient(t, Config{Concurrency: 4, Recorder: rec})
	const n = 400
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				if _, err := cl.Get(t.Context(), fmt.Sprintf("%s/p%d", srv.URL, i), nil); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if len(rec.exs) != n {
		t.Fatalf("%d exchanges recorded, want %d", len(rec.exs), n)
	}
	for _, ex := range rec.exs {
		path := ex.URL[strings.LastIndex(ex.URL, "/"):]
		if !bytes.HasPrefix(ex.Request, []byte("GET "+path+" HTTP/1.1\r\n")) || !bytes.Contains(ex.Response, []byte("MARK["+path+"]")) || ex.IP == "" {
			t.Errorf("%s recorded with request %q and response of %d bytes (IP %q)", ex.URL, ex.Request[:min(30, len(ex.Request))], len(ex.Response), ex.IP)
		}
		if !bytes.Contains(ex.Response, []byte("Transfer-Encoding: chunked\r\n")) {
			t.Errorf("%s: response not as sent (rebuilt?): %q", ex.URL, ex.Response[:min(200, len(ex.Response))])
		}
	}
}

func TestWithoutHeader(t *testing.T) {
	msg := []byte("GET http://h/ HTTP/1.1\r\nHost: h\r\nProxy-Authorization: Basic c2VjcmV0\r\nUser-Agent: x\r\n\r\nbody")
	want := "GET http://h/ HTTP/1.1\r\nHost: h\r\nUser-Agent: x\r\n\r\nbody"
	if got := string(withoutHeader(msg, "Proxy-Authorization")); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := string(withoutHeader([]byte(want), "Proxy-Authorization")); got != want {
		t.Errorf("without the field: got %q", got)
	}
}

// Credentials are sent as Basic auth to their host, across a redirect on it,
// and the recorder gets them redacted.
func TestAuthSentToTheHostAndRedacted(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/here", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/here", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "archivist" || p != "s3cret" {
			http.Error(w, "401", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "<p>here</p>")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	rec := &memRecorder{}
	host := strings.TrimPrefix(srv.URL, "http://")
	cl := newClient(t, Config{Concurrency: 1, Host: host, Auth: url.UserPassword("archivist", "s3cret"), Recorder: rec})
	resp, err := cl.Get(t.Context(), srv.URL+"/moved", nil)
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("%v, %+v; want the page", err, resp)
	}
	secret := base64.StdEncoding.EncodeToString([]byte("archivist:s3cret"))
	for _, ex := range rec.exs {
		if bytes.Contains(ex.Request, []byte(secret)) || !bytes.Contains(ex.Request, []byte("Authorization: [redacted]\r\n")) {
			t.Errorf("recorded request:\n%s", ex.Request)
		}
	}
}

// Credentials given for an https start URL never go out over plain HTTP.
func TestAuthNotSentDownToHTTP(t *testing.T) {
	var got []string
	rt := &authorizing{next: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r.URL.Scheme+" "+r.Header.Get("Authorization"))
		return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}}, nil
	}), host: "h", user: "u", pass: "p", httpsOnly: true}
	for _, u := range []string{"https://h/a", "http://h/b"} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		rt.RoundTrip(req)
	}
	if len(got) != 2 || got[0] != "https Basic dTpw" || got[1] != "http " {
		t.Errorf("sent %q; want the credentials over https only", got)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The hand-off that made exchanges mix: net/http gives the connection to
// the next request (begin) before the first one takes its bytes. Each
// capture keeps its own, and taking the first does not stop the second.
func TestTapKeepsEachExchangeApartAtTheHandOff(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	go io.Copy(io.Discard, server)
	tap := &tapConn{Conn: client}
	first := tap.begin()
	tap.Write([]byte("GET /a"))
	second := tap.begin() // the connection goes to the next request
	tap.Write([]byte("GET /b"))
	sentA, _ := tap.take(first)
	tap.Write([]byte(" HTTP/1.1"))
	sentB, _ := tap.take(second)
	if string(sentA) != "GET /a" || string(sentB) != "GET /b HTTP/1.1" {
		t.Errorf("first %q, second %q", sentA, sentB)
	}
}
