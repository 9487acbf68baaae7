package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/fetch"
)

// kindListing is the kind of a listing page's task.
const kindListing = harvest.KindListing

// A task is one page of a kind to fetch.
type task struct {
	kind string
	url  string
	// cached is what the store keeps of the page's last good answer (nil:
	// nothing), read by the coordinator before the task is sent, so that
	// workers never wait on the database.
	cached *harvest.CachedPage
	doc    *harvest.DocumentTask // a document page's task (document.go)
	file   *harvest.FileTask     // an attachment's task (attachment.go)
}

// A handler does the work of one kind of page. The engine schedules tasks of
// every kind through one loop, within one politeness budget; what a kind of
// page means is its handler's business.
type handler interface {
	// prepare runs on the coordinator before t is sent; it may read the store.
	prepare(ctx context.Context, t *task)
	// fetch runs on a worker: the network and the parser, never the store.
	fetch(ctx context.Context, t task) result
	// judge runs on the coordinator with a result: it returns the tasks the
	// page leads to, and may set r.enqueue (further pages for the frontier,
	// queued when their turn comes) and r.saveNow (store it before going on).
	judge(ctx context.Context, r *result) ([]task, error)
	// stored runs once the page is stored, with what storing it did.
	stored(r result, cnt harvest.Counts)
}

// A keeper is a handler whose pages the store keeps apart from listing
// pages (document pages, attachments): it stores its good results, and
// records its failures, itself.
type keeper interface {
	keep(ctx context.Context, rs []result) error
	failed(ctx context.Context, r result) error
}

// crawl is the state of one run that every kind of page shares; paging,
// drift repair and the incremental stop keep theirs in their own files.
type crawl struct {
	cfg      Config
	st       Store
	f        *fetch.Client
	log      *slog.Logger
	host     string
	rules    *fetch.Robots
	walk     harvest.Walk
	runID    int64
	start    string // the walk's first page
	fresh    bool   // a new walk (not one taken up again)
	sum      *harvest.RunSummary
	problems []string // what makes the run partial
	bounded  bool     // stopped by --max-pages with pages left
	noCache  bool     // the store keeps no page yet: nothing to ask conditionally
	handlers map[string]handler
	fleet    Fleet   // the store's leases, when workers share it (fleet.go)
	tally    tallies // progress.go

	// Document pages and attachments (document.go, attachment.go).
	detailProblems []string // failed pages and files: the run is partial, the walk is not held up
	notKept        int      // attachments of a type not kept: counted as failed, not a problem
	docsDue        int      // document pages due in this run
	filesDue       int      // attachments due in this run
	budgetLeft     int      // attachments left when the byte budget was spent
	walkOver       bool     // the listing is done with: generate sends for no more of its pages

	paging      // paging.go
	drift       // drift.go
	incremental // incremental.go
}

// result is a fetched (and, for a listing, parsed) page.
type result struct {
	kind        string
	url         string
	final       string // where a redirect led, when it did; "" otherwise
	broken      string // what is wrong with the page's pager, when it has a next link that cannot be followed
	status      int
	charset     string
	invalid     int
	etag, lastM string
	notModified bool
	next        []task   // the pages it leads to
	enqueue     []string // further pages of the listing it made known
	saveNow     bool     // store it before going on (its outcome steers the walk)
	drop        bool     // neither store it nor count it as failed (a probe that found nothing)
	page        harvest.ListingPage
	doc         harvest.DocumentResult // a document page (document.go)
	file        fileResult             // an attachment (attachment.go)
	err         error                  // fetch or parse failure
}

// do fetches one task at once, on the caller's goroutine.
func (c *crawl) do(ctx context.Context, t task) result {
	h := c.handlers[t.kind]
	h.prepare(ctx, &t)
	return h.fetch(ctx, t)
}

// cached returns what the store keeps of u's last good answer, if anything.
func (c *crawl) cached(ctx context.Context, u string) *harvest.CachedPage {
	if c.noCache {
		return nil
	}
	p, ok, err := c.st.PageCache(ctx, u)
	if err != nil {
		c.log.Warn("page cache", "url", u, "err", err)
	}
	if !ok {
		return nil
	}
	return &p
}

// loop fetches the queue, at most cfg.Concurrency pages at a time, and stores
// each page as it comes back. Pages found on a page join the queue, and are
// sent for before the page is stored, so that storing overlaps fetching.
// Pages are stored in groups, one transaction each, whenever no fetched page
// is waiting (group commit); a page whose handler asks for it (in an
// incremental walk, whose end depends on what a page held) is stored before
// going on.
func (c *crawl) loop(ctx context.Context, queue []task, first *result) error {
	// Group commit: pages wait in memory until maxBatch of them, or until
	// no fetched page waits and minBatch are there or the oldest is
	// maxBatchAge old. A kill loses at most those; the next run fetches them.
	const maxBatch, minBatch, maxBatchAge = 64, 16, 250 * time.Millisecond
	batchAt := time.Now()
	results := make(chan result, c.cfg.Concurrency+2)
	inflight, fetched := 0, 0
	inflightKind := map[string]int{} // for the progress reports
	var stop, storeErr error
	var batch []result
	for _, t := range queue {
		c.queued(t.url)
	}
	// Workers fetch and parse. There are a few more of them than requests
	// may be in flight, so that parsing one page overlaps fetching the next:
	// the transport's gate holds the requests to cfg.Concurrency per host.
	workers := c.cfg.Concurrency + 2
	dispatch := func() {
		for stop == nil && ctx.Err() == nil && inflight < workers {
			if len(c.urgent) > 0 {
				queue = append(c.urgent, queue...)
				c.urgent = nil
			}
			if len(queue) == 0 && !c.generate(&queue) {
				return
			}
			listingPage := queue[0].kind == kindListing
			if listingPage && c.cfg.MaxPages > 0 && fetched >= c.cfg.MaxPages {
				c.bounded = true
				return
			}
			if listingPage {
				c.bounded = false
			}
			t := queue[0]
			queue = queue[1:]
			if !c.rules.Allowed(t.url) {
				c.skipTask(ctx, t, "disallowed by robots.txt")
				continue
			}
			if listingPage && !c.claim(ctx, t) {
				continue // another worker's (fleet.go)
			}
			if listingPage {
				fetched++ // --max-pages counts listing pages
			}
			inflight++
			inflightKind[t.kind]++
			h := c.handlers[t.kind]
			h.prepare(ctx, &t)
			go func() { results <- h.fetch(ctx, t) }()
		}
	}
	// flush stores the waiting pages: whole pages, kept even when the run
	// stops for another reason (Ctrl-C included), unless the store failed.
	flush := func() {
		if len(batch) > 0 && storeErr == nil {
			if storeErr = c.save(context.WithoutCancel(ctx), batch); storeErr != nil && stop == nil {
				stop = storeErr
			}
		}
		batch = batch[:0]
	}
	handle := func(r result) {
		next, err := c.handlers[r.kind].judge(ctx, &r)
		if err != nil {
			stop = err
			return
		}
		c.markHandled(r.url)
		k, kept := c.handlers[r.kind].(keeper)
		switch {
		case r.drop:
			fetched-- // no listing page: it does not count against --max-pages
		case r.err != nil && kept:
			// A document page or an attachment: its failure is its own
			// table's business, and does not hold up the walk.
			if err := k.failed(ctx, r); err != nil {
				stop = err
			}
		case r.err != nil:
			flush()
			queue = append(queue, next...)
			c.sum.FailedPages++
			c.tally.failed(r.kind)
			c.problems = append(c.problems, r.err.Error())
			c.log.Warn("page failed", "url", r.url, "status", r.status, "err", r.err)
			if err := c.st.MarkFailed(ctx, c.walk.ID, r.url, r.status, r.err, append(urlsOf(next), r.enqueue...)); err != nil {
				stop = err
			}
		case r.saveNow:
			flush()
			r.next = next
			if stop = c.save(ctx, []result{r}); stop == nil && !c.caughtUp {
				queue = append(queue, next...)
			}
		default:
			r.next = next
			queue = append(queue, next...)
			dispatch()
			if len(batch) == 0 {
				batchAt = time.Now()
			}
			batch = append(batch, r)
			// A fleet's other workers learn of new pages only once stored.
			if len(batch) >= maxBatch || (c.fleet != nil && len(r.enqueue) > 0) {
				flush()
			}
		}
	}
	if first != nil {
		fetched++
		handle(*first)
	}
	for {
		dispatch()
		if inflight == 0 {
			break
		}
		var r result
		select {
		case r = <-results:
		default:
			// Nothing is waiting: a good time to store what is, once it is
			// worth a transaction.
			if len(batch) >= minBatch || time.Since(batchAt) >= maxBatchAge {
				flush()
			}
			r = <-results
		}
		inflight--
		inflightKind[r.kind]--
		if stop != nil || ctx.Err() != nil {
			continue // drain what is in flight; store nothing more
		}
		handle(r)
		c.progress(queue, inflightKind, batch, false)
	}
	flush()
	c.progress(queue, inflightKind, batch, true)
	if stop != nil {
		return stop
	}
	return ctx.Err()
}

func urlsOf(tasks []task) []string {
	out := make([]string, len(tasks))
	for i, t := range tasks {
		out[i] = t.url
	}
	return out
}

// save stores good pages in one transaction, then tells each page's handler
// what storing it did.
func (c *crawl) save(ctx context.Context, rs []result) error {
	// The captures of these pages reach the disk before the pages are
	// committed: after a crash, no page the database holds is missing from
	// them (the next run fetches again what the database lacks).
	if s, ok := c.cfg.Recorder.(interface{ Sync() error }); ok {
		if err := s.Sync(); err != nil {
			return fmt.Errorf("captures: %w", err)
		}
	}
	// Pages of the kinds a keeper stores go to it, a kind at a time.
	var listing []result
	var other map[string][]result
	for _, r := range rs {
		if _, ok := c.handlers[r.kind].(keeper); ok {
			if other == nil {
				other = map[string][]result{}
			}
			other[r.kind] = append(other[r.kind], r)
			continue
		}
		listing = append(listing, r)
	}
	for kind, group := range other {
		if err := c.handlers[kind].(keeper).keep(ctx, group); err != nil {
			return err
		}
	}
	if len(listing) == 0 {
		return nil
	}
	rs = listing
	pages := make([]harvest.PageResult, len(rs))
	for i, r := range rs {
		pages[i] = harvest.PageResult{
			WalkID: c.walk.ID, RunID: c.runID, URL: r.url, Status: r.status, Records: r.page.Records,
			Total: r.page.Window.Total, Enqueue: append(urlsOf(r.next), r.enqueue...), Charset: r.charset, InvalidBytes: r.invalid,
			ETag: r.etag, LastModified: r.lastM, Next: r.page.Next, NotModified: r.notModified,
		}
	}
	counts, err := c.st.SavePages(ctx, pages)
	if err != nil {
		return err
	}
	for i, r := range rs {
		c.tally.done(r.kind)
		c.handlers[r.kind].stored(r, counts[i])
	}
	return nil
}

// skipTask skips a task robots.txt disallows: a listing page goes to the
// frontier as skipped; a page of a keeper's kind is recorded as failed there.
func (c *crawl) skipTask(ctx context.Context, t task, reason string) {
	if k, ok := c.handlers[t.kind].(keeper); ok {
		r := result{kind: t.kind, url: t.url, err: fmt.Errorf("%s: %s", t.url, reason)}
		r.doc.Document.URL, r.file.task = t.url, t.file
		if t.doc != nil {
			r.doc.ListingHash = t.doc.ListingHash
		}
		if err := k.failed(ctx, r); err != nil {
			c.log.Warn("record skipped page", "url", t.url, "err", err)
		}
		return
	}
	c.skip(ctx, t.url, reason)
}

func (c *crawl) skip(ctx context.Context, u, reason string) {
	c.log.Warn("page skipped", "url", u, "reason", reason)
	c.problems = append(c.problems, fmt.Sprintf("%s skipped: %s", u, reason))
	if err := c.st.MarkSkipped(ctx, c.walk.ID, u, reason); err != nil {
		c.log.Warn("record skipped page", "url", u, "err", err)
	}
}

// summarize makes one line of the run's problems: how many, and the first few.
func summarize(problems []string) string {
	const shown = 3
	msg := strings.Join(problems[:min(shown, len(problems))], "; ")
	if len(problems) > shown {
		msg = fmt.Sprintf("%d problems: %s; and %d more (see the frontier table)", len(problems), msg, len(problems)-shown)
	}
	return msg
}

// isUnreachable tells a failure to reach the host at all (no HTTP answer).
func isUnreachable(err error) bool {
	var fe *fetch.Error
	return errors.As(err, &fe) && fe.Status == 0 && !errors.Is(err, context.Canceled) && !errors.Is(err, fetch.ErrOffHost) &&
		!errors.Is(err, fetch.ErrTooLarge) && !errors.Is(err, fetch.ErrCapture) && !errors.Is(err, fetch.ErrRedirectLoop)
}

func unreachable(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("%w: %v", harvest.ErrUnreachable, err)
}
