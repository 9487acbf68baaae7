package crawler

import (
	"context"
	"fmt"
	"time"

	"github.com/harvest-archive/harvest"
)

// DefaultLease is how long a fleet worker holds a page it fetches before
// another may take it: long enough for a page's retries, short enough that
// the pages of a worker that died are taken up soon.
const DefaultLease = 2 * time.Minute

// Fleet is what a store that several crawl processes share offers (package
// pgstore): a full walk of a start URL that they join together, and leases
// on its pages, so that each page is fetched by one worker while its lease
// holds. When the store has these methods, Run uses them; a store without
// them (SQLite, one process) crawls as before.
type Fleet interface {
	// JoinWalk finds the unfinished full walk of startURL or begins one
	// (its first page leased to this worker), at once; joined reports an
	// existing walk, or one that finished after since (the worker came
	// late).
	JoinWalk(ctx context.Context, startURL, listing string, lease time.Duration, since time.Time) (w harvest.Walk, joined bool, err error)
	// Claim leases a page to this worker; false when it is done or another
	// worker's lease holds it.
	Claim(ctx context.Context, walkID int64, url, kind string, lease time.Duration) (bool, error)
	// ClaimPending leases up to n pending pages no lease holds, and says
	// how many pending pages live leases of other workers hold.
	ClaimPending(ctx context.Context, walkID int64, n int, lease time.Duration) (pages []harvest.PendingPage, leased int, err error)
	// RenewLeases moves this worker's leases on the walk's pending pages
	// on, to lease from now (the heartbeat of a live worker).
	RenewLeases(ctx context.Context, walkID int64, lease time.Duration) error
	// Unfinished counts the walk's failed and skipped pages, whoever met them.
	Unfinished(ctx context.Context, walkID int64) (int, error)
	// ReleaseLeases gives up this worker's leases on pending pages.
	ReleaseLeases(ctx context.Context, walkID int64) error
	// FinishLock makes this worker the walk's finisher; false when another
	// is, or the walk is finished.
	FinishLock(ctx context.Context, walkID int64) (unlock func(), ok bool, err error)
}

// lease is the configured lease, or the default.
func (cfg Config) lease() time.Duration {
	if cfg.Lease > 0 {
		return cfg.Lease
	}
	return DefaultLease
}

// claim leases t to this worker before it is fetched, when the store is a
// fleet's; false means another worker has it (or it is done): leave it. The
// page a stated total makes last, fetched only to check the total, is not
// part of the walk and takes no lease.
func (c *crawl) claim(ctx context.Context, t task) bool {
	if c.fleet == nil || (t.url == c.probe && c.probe != "") {
		return true
	}
	ok, err := c.fleet.Claim(ctx, c.walk.ID, t.url, t.kind, c.cfg.lease())
	if err != nil {
		c.log.Warn("lease page", "url", t.url, "err", err)
		return false
	}
	return ok
}

// heartbeat renews this worker's leases every third of a lease until stop is
// called: pages it holds stay its own while they wait for the host's turn,
// and run out within a lease once it dies.
func (c *crawl) heartbeat(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	walkID, lease := c.walk.ID, c.cfg.lease() // a fleet's walk is known from the start
	go func() {
		defer close(done)
		t := time.NewTicker(lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := c.fleet.RenewLeases(ctx, walkID, lease); err != nil && ctx.Err() == nil {
					c.log.Warn("renew leases", "err", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// sweep takes up, once this worker's own queue is done, the walk's pages
// that no lease holds (those of a worker that died, or that nobody took
// yet), and waits while other workers' leases hold pending pages: when it
// returns nil, every page of the walk was fetched or failed.
func (c *crawl) sweep(ctx context.Context) error {
	poll := min(c.cfg.lease()/10, 200*time.Millisecond)
	for {
		pages, leased, err := c.fleet.ClaimPending(ctx, c.walk.ID, c.cfg.Concurrency+1, c.cfg.lease())
		if err != nil {
			return err
		}
		if len(pages) > 0 {
			queue := make([]task, len(pages))
			for i, p := range pages {
				queue[i] = task{kind: p.Kind, url: p.URL}
				if queue[i].kind == "" {
					queue[i].kind = kindListing
				}
			}
			c.log.Info("taking up pages no worker holds", "pages", len(pages))
			if err := c.loop(ctx, queue, nil); err != nil || c.bounded {
				return err
			}
			continue
		}
		if leased == 0 {
			return nil
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// finishFleet decides, once no page of the walk is left, whether this worker
// finishes the walk (drift repair, gone marks, the walk's end): one worker
// does. unlock is nil when another does; then the run ends complete for
// its part. Pages that failed under any worker leave the walk unfinished.
func (c *crawl) finishFleet(ctx context.Context) (unlock func(), err error) {
	unlock, ok, err := c.fleet.FinishLock(ctx, c.walk.ID)
	if err != nil || !ok {
		return nil, err
	}
	n, err := c.fleet.Unfinished(ctx, c.walk.ID)
	if err != nil {
		unlock()
		return nil, err
	}
	if n > 0 && len(c.problems) == 0 {
		c.problems = append(c.problems, fmt.Sprintf("%d pages of the walk failed or were skipped (see the frontier table)", n))
	}
	return unlock, nil
}
