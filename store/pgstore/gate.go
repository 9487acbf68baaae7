package pgstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// HostGate keeps each host's politeness for every process that shares the
// database: at most n requests in flight to a host and starts at least delay
// apart (plus a twentieth and up to a quarter in all at random), and none while the host
// asked for a pause (Retry-After), whichever worker sends them. The host's
// next allowed start and its requests in flight live in the database
// (host_gate, host_slots), times on the database's clock. A slot runs out
// after hold (the request's timeout and a margin), so that a worker that
// dies holding one does not hold the host for good.
//
// It has the methods of fetch.Limiter; the package knows nothing of HTTP.
type HostGate struct {
	db   *DB
	n    int
	hold time.Duration
	poll time.Duration // the longest wait between two looks at a busy host

	mu    sync.Mutex
	delay time.Duration
}

// HostGate returns the fleet's gate: n requests in flight to a host at most
// (at least 1), starting delay apart; a slot not freed within hold runs out.
func (db *DB) HostGate(delay time.Duration, n int, hold time.Duration) *HostGate {
	if n < 1 {
		n = 1
	}
	if hold <= 0 {
		hold = 10 * time.Minute
	}
	return &HostGate{db: db, n: n, hold: hold, delay: delay, poll: 100 * time.Millisecond}
}

// SetDelay raises the spacing (a robots.txt Crawl-delay); a smaller delay
// than the current one is ignored. Every worker reads the same robots.txt.
func (g *HostGate) SetDelay(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.delay = max(g.delay, d)
}

// Delay is the spacing between request starts now.
func (g *HostGate) Delay() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.delay
}

func (g *HostGate) spacing() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	d := g.delay
	if d > 0 {
		// A twentieth of the delay always, for the time between a grant
		// and the request on the wire, which differs from process to
		// process (a worker's own gate has no such spread); then at random
		// up to a quarter in all, as the single-process gate.
		d += d/20 + time.Duration(rand.Int64N(int64(d)/5+1))
	}
	return d
}

// Acquire waits until a request to host may start, for the whole fleet, and
// returns the function that frees its slot. Each look is one short
// transaction that locks the host's row: expired slots are dropped, and a
// slot is taken when fewer than n are held and the host's next start has
// come, moving that start on by the delay.
func (g *HostGate) Acquire(ctx context.Context, host string) (release func(), err error) {
	for {
		var slot int64
		var wait time.Duration
		err := g.db.tx(ctx, func(tx pgx.Tx) error {
			slot, wait = 0, 0
			if _, err := tx.Exec(ctx, `INSERT INTO host_gate (host) VALUES ($1) ON CONFLICT (host) DO NOTHING`, host); err != nil {
				return err
			}
			var nextIn float64 // milliseconds until the next start may be
			if err := tx.QueryRow(ctx, `SELECT EXTRACT(EPOCH FROM (next_at - clock_timestamp())) * 1000 FROM host_gate WHERE host = $1 FOR UPDATE`,
				host).Scan(&nextIn); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM host_slots WHERE host = $1 AND expires_at < clock_timestamp()`, host); err != nil {
				return err
			}
			var held int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM host_slots WHERE host = $1`, host).Scan(&held); err != nil {
				return err
			}
			switch {
			case held >= g.n:
				wait = g.poll / 4
				return nil
			case nextIn > 0:
				wait = time.Duration(nextIn * float64(time.Millisecond))
				return nil
			}
			if err := tx.QueryRow(ctx, `INSERT INTO host_slots (host, owner, expires_at) VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond') RETURNING id`,
				host, g.db.worker, g.hold.Milliseconds()).Scan(&slot); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE host_gate SET next_at = clock_timestamp() + $2 * interval '1 microsecond' WHERE host = $1`,
				host, g.spacing().Microseconds())
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("politeness gate for %s: %w", host, err)
		}
		if slot != 0 {
			return func() {
				_, _ = g.db.pool.Exec(context.Background(), `DELETE FROM host_slots WHERE id = $1`, slot)
			}, nil
		}
		t := time.NewTimer(min(max(wait, time.Millisecond), g.poll))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// Pause holds every request to host, from every worker, until the given
// time (a Retry-After).
func (g *HostGate) Pause(host string, until time.Time) {
	ctx := context.Background()
	_, _ = g.db.pool.Exec(ctx, `INSERT INTO host_gate (host, next_at) VALUES ($1, $2)
		ON CONFLICT (host) DO UPDATE SET next_at = GREATEST(host_gate.next_at, excluded.next_at)`, host, until)
}
