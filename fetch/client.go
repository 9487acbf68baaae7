// Package fetch is the HTTP side of harvest, in small layers each testable
// alone: a per-host politeness gate taken before a request's own timeout
// starts, a pause when the server asks for one (Retry-After), a reader that
// caps bodies and hands the raw exchange to a recorder (the WARC writer), a
// halt on a bot challenge, and, in colly's request lifecycle above them,
// charset decoding in colly's callbacks, with retries around it all. It knows
// nothing of listings, records or SQL.
package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/harvest-archive/harvest/parser"
)

// Config says how a Client fetches.
type Config struct {
	UserAgent   string
	Delay       time.Duration // between request starts to a host
	Concurrency int           // requests in flight to a host
	Timeout     time.Duration // per request, body included, counted from when it may start
	MaxBody     int64         // bytes; a larger body fails the request
	Retry       Retry
	// Host is the one host requests and redirects may go to ("" : any).
	Host string
	// Auth, when set, is sent as Basic credentials with every request to
	// Host (and only there); the recorder gets it redacted.
	Auth *url.Userinfo
	// HTTPSOnlyAuth keeps Auth off plain-HTTP requests (the start URL was
	// https: a redirect down to http must not carry the password in clear).
	HTTPSOnlyAuth bool
	// Recorder, when set, is handed every exchange as it crossed the wire.
	Recorder Recorder
	// Logger says when the server holds the crawl up (a long Retry-After).
	Logger *slog.Logger
	// Limiter, when set, keeps the per-host limits instead of a Gate of
	// Delay and Concurrency of this client's own (a fleet's shared one).
	Limiter Limiter
	// Header is sent with every request (robots.txt included), under the
	// request's own fields (a conditional request's validators).
	Header http.Header
	// SpoolDir is where a download's exchange is spooled while it is
	// recorded (see Client.Download); "" is the system's temporary directory.
	SpoolDir string
}

// Response is one answer, its body decoded to UTF-8 when it is text.
type Response struct {
	URL     string // final URL, after redirects
	Status  int
	Header  http.Header
	Body    []byte // UTF-8 for text; as received (content-encoding undone) otherwise
	Charset string // what a text body was decoded from
	Invalid int    // bytes not valid in Charset, replaced by U+FFFD
	// Guessed: no charset was declared; Charset was detected.
	Guessed bool
	// Challenge: a 403, 429 or 503 (or a page) whose body is a bot challenge.
	Challenge bool
	// Redirected: the request was redirected; URL is where it ended.
	Redirected bool
}

// Error is a request that failed for good: Status is the last HTTP status,
// 0 when no answer came.
type Error struct {
	URL    string
	Status int
	Err    error
}

func (e *Error) Error() string {
	u := Redact(e.URL)
	if e.Status != 0 {
		return fmt.Sprintf("fetch %s: HTTP %d: %v", u, e.Status, e.Err)
	}
	return fmt.Sprintf("fetch %s: %v", u, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Client sends GET requests through colly's request lifecycle, over the
// transport layers of this package, retrying what can succeed later.
type Client struct {
	c         *colly.Collector
	dl        *http.Client // downloads (Download): streamed, over the same gate and connections
	userAgent string
	gate      Limiter
	retry     Retry
	halted    atomic.Bool
	requests  atomic.Int64
	retries   atomic.Int64
	header    http.Header
}

// Keys of the per-request values kept in colly's context.
const (
	ctxType     = "harvest.content-type" // the Content-Type as the server sent it
	ctxResponse = "harvest.response"
)

// New makes a client for one run; ctx cancels every request it sends.
func New(ctx context.Context, cfg Config) *Client {
	cl := &Client{gate: cfg.Limiter, retry: cfg.Retry, header: cfg.Header.Clone()}
	if cl.gate == nil {
		cl.gate = NewGate(cfg.Delay, cfg.Concurrency)
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	base := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		MaxIdleConnsPerHost: cfg.Concurrency + 1,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 15 * time.Second,
		DisableCompression:  true, // bodies stay as sent, for the recorder; colly decompresses
		ForceAttemptHTTP2:   cfg.Recorder == nil,
	}
	if cfg.Recorder != nil {
		base.DialContext, base.DialTLSContext = tappingDialers(dialer, &tls.Config{})
	}
	var rt http.RoundTripper = &reading{base: base, maxBody: cfg.MaxBody, recorder: cfg.Recorder, proxy: base.Proxy}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rt = &pausing{next: rt, gate: cl.gate, maxPause: cfg.Retry.MaxWait, log: log}
	rt = &refusing{next: rt, halted: &cl.halted}
	if cfg.Auth != nil && cfg.Host != "" {
		pass, _ := cfg.Auth.Password()
		rt = &authorizing{next: rt, host: cfg.Host, user: cfg.Auth.Username(), pass: pass, httpsOnly: cfg.HTTPSOnlyAuth}
	}
	rt = &politeness{next: rt, gate: cl.gate, timeout: cfg.Timeout, halted: &cl.halted, requests: &cl.requests}

	// Downloads take the same layers but the innermost (which holds a body
	// whole) and the outermost (which frees the host's slot when the header
	// is in): see download.go.
	var dl http.RoundTripper = &spooling{base: base, maxBody: cfg.MaxBody, recorder: cfg.Recorder, dir: cfg.SpoolDir, proxy: base.Proxy}
	dl = &pausing{next: dl, gate: cl.gate, maxPause: cfg.Retry.MaxWait, log: log}
	dl = &refusing{next: dl, halted: &cl.halted}
	if cfg.Auth != nil && cfg.Host != "" {
		pass, _ := cfg.Auth.Password()
		dl = &authorizing{next: dl, host: cfg.Host, user: cfg.Auth.Username(), pass: pass, httpsOnly: cfg.HTTPSOnlyAuth}
	}
	dl = &holding{next: dl, gate: cl.gate, timeout: cfg.Timeout, halted: &cl.halted, requests: &cl.requests}
	cl.userAgent = cfg.UserAgent
	cl.dl = &http.Client{Transport: dl, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		return checkRedirect(cfg.Host, req, via)
	}}

	c := colly.NewCollector(colly.StdlibContext(ctx))
	// NewCollector lets COLLY_* environment variables override options: set
	// everything that matters here after it.
	c.UserAgent = cfg.UserAgent
	c.AllowURLRevisit = true // the crawl's frontier decides what is fetched once
	c.ParseHTTPErrorResponse = true
	c.MaxBodySize = 0 // the reading layer caps bodies, and fails rather than truncates
	c.IgnoreRobotsTxt = true
	c.DetectCharset = false
	c.CacheDir = ""
	c.AllowedDomains, c.DisallowedDomains = nil, nil
	c.MaxDepth, c.MaxRequests = 0, 0
	c.Async = false
	c.WithTransport(rt)
	c.SetRequestTimeout(0) // the politeness layer times each request from its turn
	c.SetRedirectHandler(func(req *http.Request, via []*http.Request) error {
		return checkRedirect(cfg.Host, req, via)
	})
	// colly turns a body into UTF-8 itself when the header names a charset,
	// without saying which bytes were invalid: keep the header's word for
	// the decoder below, and let colly leave the bytes alone.
	c.OnResponseHeaders(func(r *colly.Response) {
		ct := r.Headers.Get("Content-Type")
		r.Ctx.Put(ctxType, ct)
		if i := strings.Index(strings.ToLower(ct), "charset"); i >= 0 {
			r.Headers.Set("Content-Type", strings.TrimRight(strings.TrimSpace(ct[:i]), "; "))
		}
	})
	c.OnResponse(cl.onResponse)
	cl.c = c
	return cl
}

// checkRedirect refuses a redirect loop, a tenth redirect, and a redirect
// to a host other than host (when set).
func checkRedirect(host string, req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("%w: stopped after 10 redirects from %s", ErrRedirectLoop, via[0].URL)
	}
	for _, v := range via {
		if v.URL.String() == req.URL.String() {
			return fmt.Errorf("%w: %s redirects back to itself", ErrRedirectLoop, req.URL)
		}
	}
	if host != "" && !strings.EqualFold(req.URL.Host, host) {
		return fmt.Errorf("%w: %s", ErrOffHost, req.URL)
	}
	return nil
}

// onResponse decodes a text body. A refusal status is a bot challenge when
// the refusing layer below halted the client on it.
func (cl *Client) onResponse(r *colly.Response) {
	ct := r.Ctx.Get(ctxType)
	r.Headers.Set("Content-Type", ct)
	out := &Response{URL: r.Request.URL.String(), Status: r.StatusCode, Header: *r.Headers, Body: r.Body}
	if isText(ct) {
		d := parser.DecodeHTML(r.Body, ct)
		out.Body, out.Charset, out.Invalid, out.Guessed = d.Body, d.Charset, d.Invalid, d.Guessed
	}
	out.Challenge = refusalStatus(r.StatusCode) && cl.halted.Load()
	r.Ctx.Put(ctxResponse, out)
}

func isText(ct string) bool {
	ct = strings.ToLower(ct)
	return ct == "" || strings.Contains(ct, "html") || strings.Contains(ct, "xml") || strings.HasPrefix(ct, "text/")
}

// Requests is the number of HTTP requests sent so far, retries and
// redirects included.
func (cl *Client) Requests() int { return int(cl.requests.Load()) }

// Retries is the number of requests sent again after a failure that could
// pass.
func (cl *Client) Retries() int { return int(cl.retries.Load()) }

// Delay is the spacing between requests to a host now (a robots.txt
// Crawl-delay may have raised it).
func (cl *Client) Delay() time.Duration { return cl.gate.Delay() }

// Halt stops the client: no request is sent after it. A crawl halts when the
// site answers with a bot challenge.
func (cl *Client) Halt() { cl.halted.Store(true) }

// SetDelay raises the spacing between requests (a robots.txt Crawl-delay).
func (cl *Client) SetDelay(d time.Duration) { cl.gate.SetDelay(d) }

// Get fetches u, retrying 5xx, 429, timeouts, resets and truncated bodies
// with exponential backoff and jitter, and waiting at least what Retry-After
// asks. A response of any other status is returned as it is, for the caller
// to judge; a request that failed for good is an *Error.
func (cl *Client) Get(ctx context.Context, u string, hdr http.Header) (*Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := cl.once(u, hdr)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		retry, wait := cl.retry.judge(resp, err, attempt)
		if !retry || attempt >= cl.retry.Retries {
			if err != nil {
				return nil, &Error{URL: u, Err: err}
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
		cl.retries.Add(1)
	}
}

func (cl *Client) once(u string, hdr http.Header) (*Response, error) {
	h := http.Header{}
	for k, v := range cl.header {
		h[k] = v
	}
	for k, v := range hdr {
		h[k] = v
	}
	cctx := colly.NewContext()
	err := cl.c.Request(http.MethodGet, u, nil, cctx, h)
	r, _ := cctx.GetAny(ctxResponse).(*Response)
	if err != nil {
		return nil, unwrapURLError(err)
	}
	if r == nil {
		return nil, errors.New("no response")
	}
	r.Redirected = r.URL != u
	return r, nil
}

// unwrapURLError drops net/http's "Get URL:" wrapper, whose URL the caller
// names already, keeping the cause.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
