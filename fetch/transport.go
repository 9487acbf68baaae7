package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/harvest-archive/harvest/parser"
)

// Errors a request can fail with that callers tell apart.
var (
	ErrOffHost      = errors.New("redirect to another host refused")
	ErrRedirectLoop = errors.New("too many redirects")
	ErrTooLarge     = errors.New("response body larger than the limit (--max-body)")
	ErrHalted       = errors.New("not sent: the site refused automated access")
	ErrCapture      = errors.New("could not record the exchange")
)

// politeness is the outermost layer: it takes the host's slot from the gate
// and only then starts the request's own timeout, so that waiting one's
// turn (a Crawl-delay, a Retry-After pause) never eats into the time the
// server has to answer. It refuses to send once the site has answered with a
// bot challenge, and counts what it sends.
type politeness struct {
	next     http.RoundTripper
	gate     Limiter
	timeout  time.Duration
	halted   *atomic.Bool
	requests *atomic.Int64
}

func (t *politeness) RoundTrip(req *http.Request) (*http.Response, error) {
	release, err := t.gate.Acquire(req.Context(), req.URL.Host)
	if err != nil {
		return nil, err
	}
	defer release()
	if t.halted.Load() {
		return nil, ErrHalted
	}
	t.requests.Add(1)
	ctx, cancel := req.Context(), context.CancelFunc(func() {})
	if t.timeout > 0 {
		ctx, cancel = context.WithTimeoutCause(ctx, t.timeout, fmt.Errorf("no complete answer from %s within %s (--timeout)", req.URL.Host, t.timeout))
	}
	defer cancel()
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil && ctx.Err() != nil && req.Context().Err() == nil {
		err = fmt.Errorf("%w: %w", context.Cause(ctx), err)
	}
	return resp, err
}

// authorizing sends Basic credentials (those of a start URL
// http://user:pass@host/...) with every request to their host, so that no
// URL harvest keeps needs to carry them.
type authorizing struct {
	next       http.RoundTripper
	host       string
	user, pass string
	httpsOnly  bool
}

func (t *authorizing) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.EqualFold(req.URL.Host, t.host) && req.Header.Get("Authorization") == "" && (!t.httpsOnly || req.URL.Scheme == "https") {
		req = req.Clone(req.Context())
		req.SetBasicAuth(t.user, t.pass)
	}
	return t.next.RoundTrip(req)
}

// refusing halts the client when the site answers with a bot challenge (a
// 403, 429 or 503 whose body is one), before the host's slot is given to the
// next request: nothing is sent after it.
type refusing struct {
	next   http.RoundTripper
	halted *atomic.Bool
}

func (t *refusing) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || !refusalStatus(resp.StatusCode) {
		return resp, err
	}
	// The reading layer below holds the whole body in memory.
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if parser.IsChallenge(maybeGunzip(resp.Header, body)) {
		t.halted.Store(true)
	}
	return resp, nil
}

func refusalStatus(code int) bool {
	return code == http.StatusForbidden || code == http.StatusServiceUnavailable || code == http.StatusTooManyRequests
}

// maybeGunzip undoes a gzip content-encoding, for a look at the body; the
// body as sent is left alone.
func maybeGunzip(h http.Header, body []byte) []byte {
	if !strings.Contains(strings.ToLower(h.Get("Content-Encoding")), "gzip") {
		return body
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return body
	}
	out, err := io.ReadAll(io.LimitReader(zr, 1<<20))
	if err != nil && len(out) == 0 {
		return body
	}
	return out
}

// pausing holds the whole host when a 429 or 503 says when to come back
// (Retry-After), for as long as asked but no longer than maxPause: the
// pages in flight wait with it.
type pausing struct {
	next     http.RoundTripper
	gate     Limiter
	maxPause time.Duration
	log      *slog.Logger
}

func (t *pausing) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if d, ok := RetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			asked := d
			if t.maxPause > 0 && d > t.maxPause {
				d = t.maxPause // the page fails (see Retry.judge); the others wait no longer
			}
			t.gate.Pause(req.URL.Host, time.Now().Add(d))
			if d >= 5*time.Second {
				t.log.Warn("the server asks harvest to wait: every request to the host is held",
					"host", req.URL.Host, "status", resp.StatusCode, "retry_after", asked, "holding_for", d, "max_retry_wait", t.maxPause)
			}
		}
	}
	return resp, nil
}

// reading is the innermost layer over the network: it reads the whole body
// under a cap (a body cut short is an error here, not a page), and hands the
// exchange, exactly as it crossed the wire, to the recorder. Bodies are
// asked for gzip-compressed and left so: the recorder keeps them as sent,
// and colly decompresses them above.
type reading struct {
	base     http.RoundTripper
	maxBody  int64
	recorder Recorder // nil: nothing is recorded
	// proxy is the transport's proxy choice: an exchange through a proxy
	// records no server IP (the connection's peer is the proxy).
	proxy func(*http.Request) (*url.URL, error)
}

// proxied reports whether req goes through a proxy.
func (t *reading) proxied(req *http.Request) bool {
	if t.proxy == nil {
		return false
	}
	u, err := t.proxy(req)
	return err == nil && u != nil
}

func (t *reading) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Accept-Encoding") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("Accept-Encoding", "gzip")
	}
	var tap *tapConn
	var cp *capture
	if t.recorder != nil {
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
			if c, ok := i.Conn.(*tapConn); ok {
				tap, cp = c, c.begin()
			}
		}}
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	}
	done := func() (sent, received []byte) {
		if tap == nil {
			return nil, nil
		}
		return tap.take(cp)
	}
	sentAt := time.Now().UTC()
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		done()
		return nil, err
	}
	defer resp.Body.Close()
	limit := t.maxBody
	if limit <= 0 {
		limit = 1 << 62
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	sent, received := done()
	if err != nil {
		return nil, fmt.Errorf("read body of %s: %w", req.URL.Redacted(), err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%s: %w (%d bytes)", req.URL.Redacted(), ErrTooLarge, limit)
	}
	if t.recorder != nil {
		target := *req.URL
		target.User = nil // credentials a redirect carried are not the archive's
		ex := Exchange{URL: target.String(), Date: sentAt, Request: sent, Response: received}
		if tap != nil && !t.proxied(req) {
			ex.IP = tap.remoteIP()
		}
		if len(ex.Response) == 0 || !bytes.HasPrefix(ex.Response, []byte("HTTP/")) {
			// Not the plaintext of the exchange (a tunnel through a proxy):
			// rebuilt from what Go parsed, the body as received.
			ex.Request, ex.Response = rebuild(req, resp, body)
		}
		ex.Request = redactAuth(withoutHeader(ex.Request, "Proxy-Authorization"))
		if err := t.recorder.Record(ex); err != nil {
			return nil, fmt.Errorf("%s: %w: %w", req.URL.Redacted(), ErrCapture, err)
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}
