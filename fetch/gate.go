package fetch

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Limiter is the politeness layer's seam: what keeps requests to each host
// within limits. Gate is the one for a single process; a store shared by
// several processes can keep the same limits for all of them (package
// pgstore's HostGate), so that a fleet is as polite as one crawler.
type Limiter interface {
	// Acquire waits until a request to host may start, and returns the
	// function that frees its slot once the request is done.
	Acquire(ctx context.Context, host string) (release func(), err error)
	// Pause holds every request to host until the given time.
	Pause(host string, until time.Time)
	// SetDelay raises the spacing between request starts (a Crawl-delay).
	SetDelay(d time.Duration)
	// Delay is the spacing between request starts now.
	Delay() time.Duration
}

var _ Limiter = (*Gate)(nil)

// Gate keeps requests to each host within limits: at most n in flight,
// starts at least delay apart (plus up to a quarter of it at random), and
// none while the host asked for a pause. It is the politeness layer; it knows
// nothing of HTTP.
type Gate struct {
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

// NewGate returns a gate that lets n requests (at least 1) be in flight to a
// host, starting at least delay apart.
func NewGate(delay time.Duration, n int) *Gate {
	if n < 1 {
		n = 1
	}
	return &Gate{delay: delay, n: n, hosts: map[string]*hostState{}}
}

func (g *Gate) host(h string) *hostState {
	g.mu.Lock()
	defer g.mu.Unlock()
	st, ok := g.hosts[h]
	if !ok {
		st = &hostState{slots: make(chan struct{}, g.n)}
		g.hosts[h] = st
	}
	return st
}

// SetDelay raises the spacing (a robots.txt Crawl-delay) from the requests
// already sent on. A smaller delay than the current one is ignored.
func (g *Gate) SetDelay(d time.Duration) {
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

// Delay is the spacing between request starts now.
func (g *Gate) Delay() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.delay
}

// Acquire waits until a request to host may start, and returns the function
// that frees its slot once the request (its body included) is done.
func (g *Gate) Acquire(ctx context.Context, host string) (release func(), err error) {
	st := g.host(host)
	select {
	case st.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release = func() { <-st.slots }
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

// Pause holds every request to host until the given time.
func (g *Gate) Pause(host string, until time.Time) {
	st := g.host(host)
	g.mu.Lock()
	defer g.mu.Unlock()
	if until.After(st.next) {
		st.next = until
	}
}
