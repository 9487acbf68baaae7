package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// A SpoolRecorder is a Recorder that also keeps an exchange whose response
// is read from disk (size bytes: status line, header fields and body as
// received), so that a large download is never whole in memory. The WARC
// writer is one.
type SpoolRecorder interface {
	Recorder
	RecordSpooled(ex Exchange, response io.ReaderAt, size int64) error
}

// Download is one streamed answer, as Client.Download hands it over.
type Download struct {
	URL        string // final URL, after redirects
	Status     int
	Header     http.Header
	Length     int64     // the length of Body the server announced; -1 when unknown
	Body       io.Reader // the body, any content-encoding undone, read from the network as it is read
	Redirected bool
	Challenge  bool // a refusal whose body is a bot challenge
}

// Download fetches u and hands the answer to fn with its body streamed:
// read from the network as fn reads it, never held whole in memory. When
// exchanges are recorded, what crosses the wire is spooled to a file in
// Config.SpoolDir and recorded from there once the body is read (see
// SpoolRecorder). It waits its turn at the gate like Get, holds the host's
// slot until fn returns, and retries like Get until an answer worth handing
// over comes. An answer other than 200 has its body (capped at MaxBody)
// read before fn sees it. Config.Timeout bounds the wait for the answer's
// header and each pause in its body, not the whole download.
//
// When fn returns nil, the rest of the body is read, so that the exchange
// is recorded whole; when it returns an error (a file too large, a type not
// kept), the connection is dropped and the exchange is not recorded. fn's
// error is returned as it is.
func (cl *Client) Download(ctx context.Context, u string, hdr http.Header, fn func(*Download) error) error {
	for attempt := 0; ; attempt++ {
		err := cl.downloadOnce(ctx, u, hdr, attempt, fn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var rt *retryable
		if !errors.As(err, &rt) {
			return err
		}
		t := time.NewTimer(rt.wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		cl.retries.Add(1)
	}
}

// retryable is a try that failed in a way worth trying again after wait.
type retryable struct {
	wait time.Duration
	err  error
}

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

func (cl *Client) downloadOnce(ctx context.Context, u string, hdr http.Header, attempt int, fn func(*Download) error) error {
	st := &spoolState{}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, spoolKey{}, st), http.MethodGet, u, nil)
	if err != nil {
		return &Error{URL: u, Err: err}
	}
	for k, v := range cl.header { // Config.Header, as on every request
		req.Header[k] = v
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", cl.userAgent)
	resp, err := cl.dl.Do(req)
	defer st.discard()
	if err != nil {
		err = unwrapURLError(err)
		if retry, wait := cl.retry.judge(nil, err, attempt); retry && attempt < cl.retry.Retries && ctx.Err() == nil {
			return &retryable{wait: wait, err: err}
		}
		return &Error{URL: u, Err: err}
	}
	defer resp.Body.Close()
	d := &Download{URL: resp.Request.URL.String(), Status: resp.StatusCode, Header: resp.Header, Length: resp.ContentLength, Body: resp.Body}
	d.Redirected = d.URL != u
	d.Challenge = refusalStatus(resp.StatusCode) && cl.halted.Load()
	if retry, wait := cl.retry.judge(&Response{Status: d.Status, Header: d.Header, Challenge: d.Challenge}, nil, attempt); retry && attempt < cl.retry.Retries {
		return &retryable{wait: wait, err: &Error{URL: u, Status: d.Status, Err: errors.New(http.StatusText(d.Status))}}
	}
	if strings.Contains(strings.ToLower(resp.Header.Get("Content-Encoding")), "gzip") {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return &Error{URL: u, Status: d.Status, Err: fmt.Errorf("gzip body: %w", err)}
		}
		d.Body, d.Length = zr, -1
	}
	if err := fn(d); err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return &Error{URL: u, Status: d.Status, Err: fmt.Errorf("read body: %w", err)}
	}
	if err := st.record(); err != nil {
		return &Error{URL: u, Status: d.Status, Err: err}
	}
	return nil
}

// spoolKey keys a download's spoolState in its request's context.
type spoolKey struct{}

// spoolState is the capture of a download's last exchange (the one that
// was not a redirect), kept by the spooling layer for Download to record
// once the body is read.
type spoolState struct {
	rec  Recorder
	file *os.File
	tap  *tapConn
	cp   *capture
	ex   Exchange
	req  *http.Request // the request of the exchange, to rebuild its record when the tap missed it
}

// record takes the capture and hands it to the recorder.
func (s *spoolState) record() error {
	if s.rec == nil || s.file == nil {
		return nil
	}
	var sent []byte
	if s.tap != nil {
		sent, _ = s.tap.take(s.cp)
		if s.cp.sinkErr != nil {
			return fmt.Errorf("%w: spool: %w", ErrCapture, s.cp.sinkErr)
		}
	}
	size, err := s.file.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("%w: spool: %w", ErrCapture, err)
	}
	head := make([]byte, 5)
	if n, _ := s.file.ReadAt(head, 0); n < 5 || string(head) != "HTTP/" {
		return fmt.Errorf("%w: a download through a proxy's tunnel cannot be captured as it crossed the wire", ErrCapture)
	}
	ex := s.ex
	if !bytes.Contains(sent, []byte("\r\n\r\n")) && s.req != nil {
		// The tap did not see the request whole: written again from what
		// was sent, as the reading layer does for a tunnel.
		var b bytes.Buffer
		_ = s.req.Write(&b)
		sent = b.Bytes()
	}
	ex.Request = redactAuth(withoutHeader(sent, "Proxy-Authorization"))
	if sr, ok := s.rec.(SpoolRecorder); ok {
		err = sr.RecordSpooled(ex, s.file, size)
	} else {
		ex.Response = make([]byte, size)
		if _, err = s.file.ReadAt(ex.Response, 0); err == nil {
			err = s.rec.Record(ex)
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCapture, err)
	}
	return nil
}

// discard removes the spool file.
func (s *spoolState) discard() {
	if s.tap != nil {
		s.tap.take(s.cp)
	}
	if s.file != nil {
		s.file.Close()
		os.Remove(s.file.Name())
		s.file = nil
	}
}

// spoolPattern names a spool file (package files removes those a killed
// run left in its directory: files.SpoolPrefix).
const spoolPattern = ".spool-*"

// spooling is the innermost layer of a download: it captures the exchange
// into a spool file on disk (when exchanges are recorded), and reads (and
// records, in memory) the body of an answer other than 200, which is small:
// a redirect, an error page, a challenge. A 200's body is left to stream.
type spooling struct {
	base     http.RoundTripper
	maxBody  int64
	recorder Recorder
	dir      string
	proxy    func(*http.Request) (*url.URL, error)
}

func (t *spooling) RoundTrip(req *http.Request) (*http.Response, error) {
	st, _ := req.Context().Value(spoolKey{}).(*spoolState)
	if st == nil || t.recorder == nil {
		return t.base.RoundTrip(req)
	}
	st.discard() // an earlier hop's
	f, err := os.CreateTemp(t.dir, spoolPattern)
	if err != nil {
		return nil, fmt.Errorf("%w: spool: %w", ErrCapture, err)
	}
	st.rec, st.file = t.recorder, f
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		if c, ok := i.Conn.(*tapConn); ok {
			st.tap, st.cp = c, c.beginTo(f)
		}
	}}
	target := *req.URL
	target.User = nil
	st.ex = Exchange{URL: target.String(), Date: time.Now().UTC()}
	st.req = req
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		st.discard()
		return nil, err
	}
	if st.tap != nil && (t.proxy == nil || func() bool { u, err := t.proxy(req); return err != nil || u == nil }()) {
		st.ex.IP = st.tap.remoteIP()
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	// Small: read, record from memory, and hand over.
	limit := t.maxBody
	if limit <= 0 {
		limit = 1 << 62
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	resp.Body.Close()
	if err != nil {
		st.discard()
		return nil, fmt.Errorf("read body of %s: %w", req.URL.Redacted(), err)
	}
	if int64(len(body)) > limit {
		st.discard()
		return nil, fmt.Errorf("%s: %w (%d bytes)", req.URL.Redacted(), ErrTooLarge, limit)
	}
	err = st.record()
	st.discard()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.URL.Redacted(), err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// holding is the outermost layer of a download: like politeness it takes
// the host's slot and only then starts the clock, but it holds the slot
// until the body is closed, and its clock bounds each wait for bytes (the
// header, then every read of the body), not the whole transfer.
type holding struct {
	next     http.RoundTripper
	gate     Limiter
	timeout  time.Duration
	halted   *atomic.Bool
	requests *atomic.Int64
}

func (t *holding) RoundTrip(req *http.Request) (*http.Response, error) {
	release, err := t.gate.Acquire(req.Context(), req.URL.Host)
	if err != nil {
		return nil, err
	}
	if t.halted.Load() {
		release()
		return nil, ErrHalted
	}
	t.requests.Add(1)
	ctx, cancel := context.WithCancelCause(req.Context())
	var timer *time.Timer
	if t.timeout > 0 {
		cause := fmt.Errorf("no bytes from %s within %s (--timeout)", req.URL.Host, t.timeout)
		timer = time.AfterFunc(t.timeout, func() { cancel(cause) })
	}
	done := func() {
		if timer != nil {
			timer.Stop()
		}
		cancel(nil)
		release()
	}
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		if ctx.Err() != nil && req.Context().Err() == nil {
			err = fmt.Errorf("%w: %w", context.Cause(ctx), err)
		}
		done()
		return nil, err
	}
	resp.Body = &watchedBody{ReadCloser: resp.Body, timer: timer, timeout: t.timeout, done: done, ctx: ctx}
	return resp, nil
}

// watchedBody restarts its download's clock on every read, and frees the
// host's slot when closed.
type watchedBody struct {
	io.ReadCloser
	timer   *time.Timer
	timeout time.Duration
	ctx     context.Context
	done    func()
	closed  bool
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.timer != nil && n > 0 {
		b.timer.Reset(b.timeout)
	}
	if err != nil && err != io.EOF && b.ctx.Err() != nil {
		err = fmt.Errorf("%w: %w", context.Cause(b.ctx), err)
	}
	return n, err
}

func (b *watchedBody) Close() error {
	err := b.ReadCloser.Close()
	if !b.closed {
		b.closed = true
		b.done()
	}
	return err
}
