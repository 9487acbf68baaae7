package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/harvest-archive/harvest/parser"
)

// Headers the transport adds to a decoded response for the crawler's use.
const (
	hdrCharset   = "X-Harvest-Charset"
	hdrInvalid   = "X-Harvest-Invalid-Bytes"
	hdrChallenge = "X-Harvest-Challenge"
)

var (
	errOffHost  = errors.New("redirect to another host refused")
	errTooLarge = errors.New("response body larger than --max-body")
)

// response is one fetched page, its body in UTF-8.
type response struct {
	URL     string // final URL, after redirects
	Status  int
	Header  http.Header
	Body    []byte
	Charset string
	Invalid int // bytes not valid in Charset, replaced by U+FFFD
	// Challenge: a 403, 429 or 503 whose body is a bot challenge (the
	// transport tells it once, for every caller).
	Challenge bool
}

// fetchError is a request that failed for good: Status is the last HTTP
// status, 0 when no response came.
type fetchError struct {
	URL    string
	Status int
	Err    error
}

func (e *fetchError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("fetch %s: HTTP %d: %v", e.URL, e.Status, e.Err)
	}
	return fmt.Sprintf("fetch %s: %v", e.URL, e.Err)
}

func (e *fetchError) Unwrap() error { return e.Err }

// fetcher sends GET requests through colly with retries, over a transport
// that keeps to the politeness limits per host.
type fetcher struct {
	c         *colly.Collector
	transport *politeTransport
	retries   int
	backoff   time.Duration
	maxWait   time.Duration
}

func newFetcher(ctx context.Context, cfg Config, host string) *fetcher {
	t := &politeTransport{
		base: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost:   cfg.Concurrency + 1,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: cfg.Timeout,
		},
		gate:     newGate(cfg.Delay, cfg.Concurrency),
		maxBody:  cfg.MaxBody,
		maxPause: cfg.MaxRetryWait,
	}
	c := colly.NewCollector(colly.StdlibContext(ctx))
	// NewCollector lets COLLY_* environment variables override options: set
	// everything that matters here after it.
	c.UserAgent = cfg.UserAgent
	c.AllowURLRevisit = true // the frontier decides what is fetched once
	c.ParseHTTPErrorResponse = true
	c.MaxBodySize = 0 // the transport caps bodies, and fails rather than truncates
	c.IgnoreRobotsTxt = true
	c.DetectCharset = false
	c.CacheDir = ""
	c.AllowedDomains, c.DisallowedDomains = nil, nil
	c.MaxDepth, c.MaxRequests = 0, 0
	c.Async = false
	c.WithTransport(t)
	c.SetRequestTimeout(cfg.Timeout)
	c.SetRedirectHandler(func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if !strings.EqualFold(req.URL.Host, host) {
			return fmt.Errorf("%w: %s", errOffHost, req.URL)
		}
		return nil
	})
	c.OnResponse(func(r *colly.Response) { r.Ctx.Put("response", r) })
	return &fetcher{c: c, transport: t, retries: cfg.Retries, backoff: cfg.Backoff, maxWait: cfg.MaxRetryWait}
}

// requests is the number of HTTP requests sent so far.
func (f *fetcher) requests() int { return int(f.transport.requests.Load()) }

// get fetches u, retrying 5xx, 429, timeouts, resets and truncated bodies
// with exponential backoff and jitter, and waiting at least what Retry-After
// asks. A response of any other status is returned as it is, for the caller
// to judge.
func (f *fetcher) get(ctx context.Context, u string, hdr http.Header) (*response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := f.once(ctx, u, hdr)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		retry, wait := f.judge(resp, err, attempt)
		if !retry || attempt >= f.retries {
			if err != nil {
				return nil, &fetchError{URL: u, Err: err}
			}
			return resp, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func (f *fetcher) once(ctx context.Context, u string, hdr http.Header) (*response, error) {
	h := http.Header{}
	for k, v := range hdr {
		h[k] = v
	}
	cctx := colly.NewContext()
	err := f.c.Request(http.MethodGet, u, nil, cctx, h)
	r, _ := cctx.GetAny("response").(*colly.Response)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("no response")
	}
	out := &response{URL: r.Request.URL.String(), Status: r.StatusCode, Header: *r.Headers, Body: r.Body, Charset: r.Headers.Get(hdrCharset)}
	out.Invalid, _ = strconv.Atoi(r.Headers.Get(hdrInvalid))
	out.Challenge = r.Headers.Get(hdrChallenge) != ""
	return out, nil
}

// judge decides whether a try is worth repeating, and after how long.
func (f *fetcher) judge(resp *response, err error, attempt int) (bool, time.Duration) {
	backoff := f.backoff << attempt
	if backoff <= 0 || backoff > time.Minute {
		backoff = time.Minute
	}
	backoff += time.Duration(rand.Int64N(int64(backoff)/2 + 1))
	if err != nil {
		var dnsErr *net.DNSError
		switch {
		case errors.Is(err, errOffHost), errors.Is(err, errTooLarge), errors.Is(err, errHalted), errors.Is(err, context.Canceled):
			return false, 0
		case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
			return false, 0
		}
		return true, backoff // timeouts, resets, refused connections, truncated bodies
	}
	switch {
	case resp.Status == http.StatusTooManyRequests || resp.Status >= 500:
		if resp.Challenge {
			return false, 0
		}
		if ra, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if f.maxWait > 0 && ra > f.maxWait {
				return false, 0 // asked to wait longer than we will: fail the page
			}
			if ra > backoff {
				backoff = ra
			}
		}
		return true, backoff
	}
	return false, 0
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// politeTransport is the http.RoundTripper under colly. It holds each request
// to the host's limits (requests in flight, spacing, a pause that a
// Retry-After asked for), reads the whole body under a cap (so a body cut
// short is an error here, not a page), and decodes HTML to UTF-8 by its
// declared charset.
type politeTransport struct {
	base     http.RoundTripper
	gate     *gate
	maxBody  int64
	maxPause time.Duration // the longest a Retry-After holds the host
	requests atomic.Int64
	// halted is set once the site answered with a bot challenge: no request
	// is sent after that.
	halted atomic.Bool
}

var errHalted = errors.New("not sent: the site refused automated access")

func (t *politeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	release, err := t.gate.acquire(req.Context(), req.URL.Host)
	if err != nil {
		return nil, err
	}
	defer release()
	if t.halted.Load() {
		return nil, errHalted
	}
	t.requests.Add(1)
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	limit := t.maxBody
	if limit <= 0 {
		limit = 1 << 62
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read body of %s: %w", req.URL, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%s: %w (%d bytes)", req.URL, errTooLarge, limit)
	}
	if (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests) && parser.IsChallenge(body) {
		t.halted.Store(true)
		resp.Header.Set(hdrChallenge, "1")
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if t.maxPause > 0 && d > t.maxPause {
				d = t.maxPause // the page fails (see judge); the others wait no longer
			}
			t.gate.pause(req.URL.Host, time.Now().Add(d))
		}
	}
	if ct := strings.ToLower(resp.Header.Get("Content-Type")); ct == "" || strings.Contains(ct, "html") || strings.Contains(ct, "xml") || strings.HasPrefix(ct, "text/") {
		d := parser.DecodeHTML(body, resp.Header.Get("Content-Type"))
		body = d.Body
		resp.Header.Set("Content-Type", "text/html; charset=utf-8")
		resp.Header.Set(hdrCharset, d.Charset)
		if d.Invalid > 0 {
			resp.Header.Set(hdrInvalid, strconv.Itoa(d.Invalid))
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// gate keeps requests to each host within limits: at most n in flight, starts
// at least delay apart (plus up to a quarter of it at random), and none while
// the host asked for a pause.
type gate struct {
	mu    sync.Mutex
	delay time.Duration
	n     int
	hosts map[string]*hostState
}

type hostState struct {
	slots chan struct{}
	last  time.Time // start of the latest request
	next  time.Time // earliest start of the next request
}

func newGate(delay time.Duration, n int) *gate {
	if n < 1 {
		n = 1
	}
	return &gate{delay: delay, n: n, hosts: map[string]*hostState{}}
}

func (g *gate) host(h string) *hostState {
	g.mu.Lock()
	defer g.mu.Unlock()
	st, ok := g.hosts[h]
	if !ok {
		st = &hostState{slots: make(chan struct{}, g.n)}
		g.hosts[h] = st
	}
	return st
}

// setDelay raises the spacing (robots.txt Crawl-delay), from the requests
// already sent on.
func (g *gate) setDelay(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if d <= g.delay {
		return
	}
	g.delay = d
	for _, st := range g.hosts {
		if next := st.last.Add(d); next.After(st.next) {
			st.next = next
		}
	}
}

func (g *gate) acquire(ctx context.Context, host string) (func(), error) {
	st := g.host(host)
	select {
	case st.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release := func() { <-st.slots }
	for {
		g.mu.Lock()
		now := time.Now()
		wait := st.next.Sub(now)
		if wait <= 0 {
			next := now.Add(g.delay)
			if g.delay > 0 {
				next = next.Add(time.Duration(rand.Int64N(int64(g.delay)/4 + 1)))
			}
			st.last, st.next = now, next
			g.mu.Unlock()
			return release, nil
		}
		g.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			release()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// pause holds every request to host until the given time.
func (g *gate) pause(host string, until time.Time) {
	st := g.host(host)
	g.mu.Lock()
	defer g.mu.Unlock()
	if until.After(st.next) {
		st.next = until
	}
}

// sameHost reports whether u is on host (host:port, case-insensitive).
func sameHost(u, host string) bool {
	p, err := url.Parse(u)
	return err == nil && strings.EqualFold(p.Host, host)
}
