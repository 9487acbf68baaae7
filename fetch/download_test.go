package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// spoolRecorder keeps spooled exchanges' sizes and digests, and plain ones.
type spoolRecorder struct {
	memRecorder
	mu      sync.Mutex
	spooled []spooled
}

type spooled struct {
	url  string
	size int64
	head string
	sum  [32]byte
}

func (s *spoolRecorder) RecordSpooled(ex Exchange, r io.ReaderAt, size int64) error {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err != nil {
		return err
	}
	head := make([]byte, 64)
	n, _ := r.ReadAt(head, 0)
	sp := spooled{url: ex.URL, size: size, head: string(head[:n])}
	copy(sp.sum[:], h.Sum(nil))
	if !bytes.HasPrefix(ex.Request, []byte("GET ")) {
		return errors.New("no request")
	}
	s.mu.Lock()
	s.spooled = append(s.spooled, sp)
	s.mu.Unlock()
	return nil
}

// A download streams its body to the caller and its exchange, through a
// spool file, to the recorder; the redirect before it is recorded too; the
// spool file is removed.
func TestDownloadStreamsAndRecords(t *testing.T) {
	body := bytes.Repeat([]byte("%PDF-1.4 scan "), 400_000) // 5.6 MB
	mux := http.NewServeMux()
	mux.HandleFunc("/document/1/download", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/files/scan.pdf", http.StatusFound)
	})
	mux.HandleFunc("/files/scan.pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(body)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	spool := t.TempDir()
	rec := &spoolRecorder{}
	cl := newClient(t, Config{Concurrency: 1, Recorder: rec, SpoolDir: spool, Host: strings.TrimPrefix(srv.URL, "http://")})
	var got bytes.Buffer
	err := cl.Download(t.Context(), srv.URL+"/document/1/download", nil, func(d *Download) error {
		if d.Status != 200 || !d.Redirected || d.Header.Get("Content-Type") != "application/pdf" {
			t.Errorf("download: %d redirected=%v %v", d.Status, d.Redirected, d.Header)
		}
		_, err := io.Copy(&got, d.Body)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), body) {
		t.Errorf("body: %d bytes, want %d", got.Len(), len(body))
	}
	if len(rec.spooled) != 2 || !strings.HasPrefix(rec.spooled[0].head, "HTTP/1.1 302") ||
		rec.spooled[1].size <= int64(len(body)) || !strings.HasPrefix(rec.spooled[1].head, "HTTP/1.1 200 OK") ||
		!strings.HasSuffix(rec.spooled[1].url, "/files/scan.pdf") {
		t.Errorf("spooled exchanges: %+v", rec.spooled)
	}
	if ents, _ := spoolDirEntries(spool); len(ents) != 0 {
		t.Errorf("spool files left: %v", ents)
	}
	// The slot was freed: a second download goes through at concurrency 1.
	if err := cl.Download(t.Context(), srv.URL+"/files/scan.pdf", nil, func(d *Download) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if len(rec.spooled) != 3 {
		t.Errorf("a download whose caller read nothing is still read whole and recorded: %d", len(rec.spooled))
	}
}

func spoolDirEntries(dir string) ([]string, error) {
	f, err := http.Dir(dir).Open("/")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fis, err := f.Readdir(-1)
	var out []string
	for _, fi := range fis {
		out = append(out, fi.Name())
	}
	return out, err
}

// A caller that stops (a file too large) drops the download: nothing is
// recorded, and its error comes back as it is.
func TestDownloadCallerStops(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 1<<20))
	}))
	defer srv.Close()
	rec := &spoolRecorder{}
	spool := t.TempDir()
	cl := newClient(t, Config{Concurrency: 1, Recorder: rec, SpoolDir: spool})
	stop := errors.New("too large")
	err := cl.Download(t.Context(), srv.URL+"/big", nil, func(d *Download) error {
		io.CopyN(io.Discard, d.Body, 1000)
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Download = %v, want the caller's error", err)
	}
	if len(rec.spooled)+len(rec.exs) != 0 {
		t.Errorf("a dropped download was recorded")
	}
	if ents, _ := spoolDirEntries(spool); len(ents) != 0 {
		t.Errorf("spool files left: %v", ents)
	}
}

// 5xx is retried; 404 is handed over with its small body read; a body
// that stalls past the timeout fails with a message that says so.
func TestDownloadStatusesAndStall(t *testing.T) {
	var hits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		w.Write([]byte("ok"))
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	cl := newClient(t, Config{Concurrency: 2, Timeout: 300 * time.Millisecond, Retry: Retry{Retries: 2, Backoff: time.Millisecond}})
	var body []byte
	if err := cl.Download(t.Context(), srv.URL+"/flaky", nil, func(d *Download) error {
		body, _ = io.ReadAll(d.Body)
		return nil
	}); err != nil || string(body) != "ok" || hits.Load() != 2 {
		t.Errorf("flaky: %v, %q after %d hits", err, body, hits.Load())
	}
	var status int
	if err := cl.Download(t.Context(), srv.URL+"/missing", nil, func(d *Download) error { status = d.Status; return nil }); err != nil || status != 404 {
		t.Errorf("missing: %v, status %d", err, status)
	}
	err := cl.Download(t.Context(), srv.URL+"/stall", nil, func(d *Download) error {
		_, err := io.ReadAll(d.Body)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "--timeout") {
		t.Errorf("stall: %v; want a timeout that names itself", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := cl.Download(ctx, srv.URL+"/flaky", nil, func(d *Download) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// An attachment the site redirects to another host (a CDN) is downloaded
// from there, without the operator's headers, which are for the site alone.
func TestDownloadFollowsRedirectToAnotherHost(t *testing.T) {
	var cdnSecret string
	cdn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cdnSecret = r.Header.Get("X-Secret")
		w.Header().Set("Content-Type", "application/pdf")
		w.Write([]byte("%PDF-1.4 from the cdn"))
	}))
	defer cdn.Close()
	var siteSecret string
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		siteSecret = r.Header.Get("X-Secret")
		http.Redirect(w, r, cdn.URL+"/bucket/scan.pdf", http.StatusFound)
	}))
	defer site.Close()
	cl := newClient(t, Config{Concurrency: 1, Host: strings.TrimPrefix(site.URL, "http://"), Header: http.Header{"X-Secret": {"s3cret"}}})
	var got bytes.Buffer
	err := cl.Download(t.Context(), site.URL+"/document/1/download", nil, func(d *Download) error {
		_, err := io.Copy(&got, d.Body)
		return err
	})
	if err != nil || got.String() != "%PDF-1.4 from the cdn" {
		t.Fatalf("download through a redirect to another host: %q, %v", got.String(), err)
	}
	if siteSecret != "s3cret" || cdnSecret != "" {
		t.Errorf("X-Secret: the site got %q (want s3cret), the other host %q (want none)", siteSecret, cdnSecret)
	}
}
