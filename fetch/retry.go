package fetch

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry says how often and after how long a failed request is tried again.
type Retry struct {
	Retries int           // further tries of a request that can succeed later
	Backoff time.Duration // wait before the first retry; doubles each time
	// MaxWait is the longest Retry-After harvest honours: a server that asks
	// for more fails the page at once (and holds the host no longer than
	// this), rather than stalling the run.
	MaxWait time.Duration
}

// judge decides whether a try is worth repeating, and after how long:
// timeouts, resets, truncated bodies, 429 and 5xx are; a bot challenge, a
// refused redirect, a body over the cap and a host that does not exist are
// not, nor is any other status.
func (p Retry) judge(resp *Response, err error, attempt int) (bool, time.Duration) {
	backoff := p.Backoff << attempt
	if backoff <= 0 || backoff > time.Minute {
		backoff = time.Minute
	}
	backoff += time.Duration(rand.Int64N(int64(backoff)/2 + 1))
	if err != nil {
		var dnsErr *net.DNSError
		switch {
		case errors.Is(err, ErrOffHost), errors.Is(err, ErrTooLarge), errors.Is(err, ErrHalted),
			errors.Is(err, ErrCapture), errors.Is(err, ErrRedirectLoop), errors.Is(err, context.Canceled):
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
		if ra, ok := RetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if p.MaxWait > 0 && ra > p.MaxWait {
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

// RetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func RetryAfter(v string, now time.Time) (time.Duration, bool) {
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
