package fetch

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Config.Header goes with every request, robots.txt, retries and downloads included,
// beside the request's own fields, which win.
func TestHeaderOnEveryRequest(t *testing.T) {
	var mu sync.Mutex
	var seen []http.Header
	tries := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		tries++
		n := tries
		mu.Unlock()
		if r.URL.Path == "/page" && n == 2 {
			w.WriteHeader(http.StatusServiceUnavailable) // retried
			return
		}
		w.Write([]byte("<html>ok</html>"))
	}))
	defer srv.Close()
	h := http.Header{}
	h.Set("X-Api-Key", "k1")
	h.Add("Cookie", "session=abc")
	h.Set("Accept-Language", "en")
	u, _ := url.Parse(srv.URL)
	cl := newClient(t, Config{Concurrency: 1, Header: h, Host: u.Host, Retry: Retry{Retries: 2, Backoff: time.Millisecond}})
	if _, err := FetchRobots(t.Context(), cl, u, "harvest-test"); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Get(t.Context(), srv.URL+"/page", http.Header{"Accept-Language": {"de"}}); err != nil {
		t.Fatal(err)
	}
	if err := cl.Download(t.Context(), srv.URL+"/file", nil, func(*Download) error { return nil }); err != nil {
		t.Fatal(err)
	}
	h.Set("X-Api-Key", "changed after New") // the client keeps its own copy
	if len(seen) != 4 {
		t.Fatalf("%d requests, want robots.txt, a 503, its retry and a download", len(seen))
	}
	for i, got := range seen {
		if got.Get("X-Api-Key") != "k1" || got.Get("Cookie") != "session=abc" || got.Get("User-Agent") != "harvest-test" {
			t.Errorf("request %d: %v", i, got)
		}
	}
	if got := seen[2].Get("Accept-Language"); got != "de" {
		t.Errorf("the request's own field lost: Accept-Language %q", got)
	}
	if cl.Retries() != 1 {
		t.Errorf("Retries() = %d, want 1", cl.Retries())
	}
}
