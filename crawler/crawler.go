// Package crawler walks an archive's paginated listing with colly and hands
// each page to the parser and its records to the store. It keeps the crawl
// polite (robots.txt, one host, spacing and concurrency per host), retries
// what can succeed later, records what failed for good, and keeps its
// frontier in the store so that an interrupted crawl resumes where it stopped.
package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/fetch"
	"github.com/harvest-archive/harvest/parser"
)

// Defaults for a real site: polite.
const (
	DefaultDelay        = time.Second
	DefaultConcurrency  = 1
	DefaultTimeout      = 30 * time.Second
	DefaultRetries      = 4
	DefaultBackoff      = 2 * time.Second
	DefaultMaxRetryWait = 10 * time.Minute
	DefaultMaxBody      = 20 << 20
)

// DefaultUserAgent names the tool and its version.
var DefaultUserAgent = "harvest/" + harvest.Version + " (archival harvester; +https://github.com/harvest-archive/harvest)"

// Config says what to crawl and how. Start from DefaultConfig.
type Config struct {
	StartURL     string
	Profile      parser.Profile
	MaxPages     int           // listing pages to fetch in this run; 0: no limit
	Delay        time.Duration // between request starts to the host
	Concurrency  int           // requests in flight to the host
	UserAgent    string
	Timeout      time.Duration // per request, body included
	Retries      int           // further tries of a request that can succeed later
	Backoff      time.Duration // wait before the first retry; doubles each time
	MaxRetryWait time.Duration // a Retry-After longer than this fails the page
	MaxBody      int64         // bytes; a larger body fails the page
	IgnoreRobots bool
	// Incremental walks the listing newest first and stops at the first page
	// that holds nothing new or changed (see parser.Profile.NewestFirst).
	Incremental bool
	// Recorder, when set, keeps every HTTP exchange as it crossed the wire
	// (the WARC writer).
	Recorder fetch.Recorder
	Logger   *slog.Logger
}

// DefaultConfig returns the polite defaults for startURL, with the profile
// chosen by its host.
func DefaultConfig(startURL string) Config {
	cfg := Config{
		StartURL:     startURL,
		Delay:        DefaultDelay,
		Concurrency:  DefaultConcurrency,
		UserAgent:    DefaultUserAgent,
		Timeout:      DefaultTimeout,
		Retries:      DefaultRetries,
		Backoff:      DefaultBackoff,
		MaxRetryWait: DefaultMaxRetryWait,
		MaxBody:      DefaultMaxBody,
	}
	if u, err := url.Parse(startURL); err == nil {
		cfg.Profile = parser.ForHost(u.Hostname())
	}
	return cfg
}

// Store is what a crawl needs of the database.
type Store interface {
	FindWalk(ctx context.Context, startURL string) (harvest.Walk, bool, error)
	NewWalk(ctx context.Context, startURL, kind, listing string) (harvest.Walk, error)
	Pending(ctx context.Context, walkID int64) ([]harvest.PendingPage, error)
	Known(ctx context.Context, walkID int64, url string) (seq int64, done, known bool, err error)
	BeginRun(ctx context.Context, w harvest.Walk) (int64, error)
	HasPageCache(ctx context.Context) (bool, error)
	PageCache(ctx context.Context, url string) (harvest.CachedPage, bool, error)
	SavePages(ctx context.Context, pages []harvest.PageResult) ([]harvest.Counts, error)
	MarkFailed(ctx context.Context, walkID int64, url string, status int, cause error, enqueue []string) error
	MarkSkipped(ctx context.Context, walkID int64, url, reason string) error
	PageRecords(ctx context.Context, walkID int64, fn func(page string, records []string)) error
	WalkRecords(ctx context.Context, walkID int64) (int, error)
	MarkGone(ctx context.Context, w harvest.Walk, runID int64) (int, error)
	FinishWalk(ctx context.Context, walkID int64) error
	FinishRun(ctx context.Context, runID int64, s harvest.RunSummary) error
}

// Run walks the listing from cfg.StartURL (or takes up its unfinished walk)
// and stores every page's records. It returns what the run did, and an error
// that wraps harvest.ErrPartial when pages failed for good, ErrChallenge when
// the site refused automated access, ErrUnreachable when the host could not
// be reached (nothing is written then), or the context's error when stopped.
//
// A full walk follows the pager; once the first two pages show how pages are
// numbered and the listing states its total, it queues every page at once and
// fetches them cfg.Concurrency at a time. When the walk ends with fewer
// records than the listing states (documents published or withdrawn while it
// ran shift the pages), it fetches the listing again from the top until the
// count is whole or every page was fetched once more, then marks the records
// the listing no longer shows as gone.
func Run(ctx context.Context, cfg Config, st Store) (harvest.RunSummary, error) {
	sum := harvest.RunSummary{Outcome: harvest.OutcomeFailed, Mode: harvest.WalkFull}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	listing, err := listingURL(nil, cfg.StartURL)
	if err != nil {
		return sum, fmt.Errorf("start url: %w", err)
	}
	startURL, _ := url.Parse(listing)
	if startURL.Scheme != "http" && startURL.Scheme != "https" {
		return sum, fmt.Errorf("start url %s: want http or https", listing)
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	start := listing
	if cfg.Incremental {
		switch p := cfg.Profile; {
		case p.NewestFirstQuery != "":
			if start, err = withQuery(listing, p.NewestFirstQuery); err != nil {
				return sum, fmt.Errorf("profile %s: newest_first_query: %w", p.Name, err)
			}
			sum.Mode = harvest.WalkIncremental
		case p.NewestFirst:
			sum.Mode = harvest.WalkIncremental
		default:
			log.Warn("--incremental: the profile knows no newest-first order for this listing; walking all of it with conditional requests", "profile", p.Name)
		}
	}

	// Read, but write nothing, until the host has answered.
	walk, resumed := harvest.Walk{}, false
	if sum.Mode == harvest.WalkFull {
		if walk, resumed, err = st.FindWalk(ctx, start); err != nil {
			return sum, err
		}
	}
	queue := []harvest.PendingPage{{URL: start}}
	if resumed {
		if queue, err = st.Pending(ctx, walk.ID); err != nil {
			return sum, err
		}
		log.Info("resuming unfinished walk", "walk", walk.ID, "pages_left", len(queue))
		sum.TotalReported = walk.Total // as the earlier run saw it: a change is drift
	}

	f := fetch.New(ctx, fetch.Config{
		UserAgent: cfg.UserAgent, Delay: cfg.Delay, Concurrency: cfg.Concurrency, Timeout: cfg.Timeout, MaxBody: cfg.MaxBody,
		Retry: fetch.Retry{Retries: cfg.Retries, Backoff: cfg.Backoff, MaxWait: cfg.MaxRetryWait},
		Host:  startURL.Host, Recorder: cfg.Recorder,
	})
	var rules *fetch.Robots
	if !cfg.IgnoreRobots {
		rules, err = fetch.FetchRobots(ctx, f, startURL, cfg.UserAgent)
		switch {
		case err != nil && (isUnreachable(err) || ctx.Err() != nil):
			sum.Requests = f.Requests()
			return sum, unreachable(ctx, err)
		case err != nil:
			// Answered, but not with a robots.txt we can read (a redirect to
			// another host, a body too large): as if there were none.
			log.Warn("robots.txt unusable; crawling as if there were none", "err", err)
			rules = nil
		}
		if d := rules.CrawlDelay(); d > 0 {
			f.SetDelay(d)
			log.Info("robots.txt asks for a crawl delay", "delay", d)
		}
		if rules.DisallowsAll() {
			log.Warn("robots.txt could not be read (server error): nothing may be fetched (RFC 9309)")
		}
	}

	c := &crawl{cfg: cfg, st: st, f: f, log: log, host: startURL.Host, rules: rules, sum: &sum, start: start, fresh: !resumed,
		order: map[string]int{}, handled: map[string]bool{}, driftAt: -1}
	c.queued(start)
	if has, err := st.HasPageCache(ctx); err == nil && !has {
		c.noCache = true
	}
	// The first page answers for the host before anything is written.
	var first *result
	for len(queue) > 0 && first == nil {
		p := queue[0]
		if !rules.Allowed(p.URL) {
			break // reported by the loop below, once the walk exists
		}
		r := c.fetchPage(ctx, p.URL)
		if ctx.Err() != nil {
			sum.Requests = f.Requests()
			return sum, ctx.Err()
		}
		if r.err != nil && isUnreachable(r.err) {
			sum.Requests = f.Requests()
			return sum, unreachable(ctx, r.err)
		}
		if errors.Is(r.err, harvest.ErrChallenge) {
			sum.Requests = f.Requests()
			return sum, r.err
		}
		first = &r
		queue = queue[1:]
	}
	if !resumed {
		if walk, err = st.NewWalk(ctx, start, sum.Mode, listing); err != nil {
			return sum, err
		}
	}
	c.walk = walk
	if c.runID, err = st.BeginRun(ctx, walk); err != nil {
		return sum, err
	}
	sum.Outcome = harvest.OutcomeRunning
	runErr := c.loop(ctx, queue, first)
	if runErr == nil && sum.Mode == harvest.WalkFull && len(c.problems) == 0 && !c.bounded {
		runErr = c.repair(ctx)
	}

	bg := context.WithoutCancel(ctx)
	sum.Records, _ = st.WalkRecords(bg, walk.ID)
	switch {
	case errors.Is(runErr, context.Canceled) || errors.Is(runErr, context.DeadlineExceeded):
		sum.Outcome, sum.Message = harvest.OutcomeInterrupted, "interrupted; the next run resumes"
	case runErr != nil:
		sum.Outcome, sum.Message = harvest.OutcomeFailed, runErr.Error()
	case len(c.problems) > 0:
		sum.Outcome = harvest.OutcomePartial
		sum.Message = summarize(c.problems)
		runErr = fmt.Errorf("%w: %s", harvest.ErrPartial, sum.Message)
	case c.bounded:
		sum.Outcome = harvest.OutcomeComplete
		sum.Message = fmt.Sprintf("stopped after %d pages (--max-pages); the next run resumes", cfg.MaxPages)
	default:
		sum.Outcome = harvest.OutcomeComplete
		if sum.Mode == harvest.WalkFull {
			if sum.TotalReported > 0 && sum.Records < sum.TotalReported {
				sum.Message = fmt.Sprintf("the listing states %d records; %d found after repairing drift; none marked gone", sum.TotalReported, sum.Records)
				log.Warn(sum.Message)
			} else if sum.Gone, err = st.MarkGone(bg, walk, c.runID); err != nil {
				runErr = err
			}
		}
		if err := st.FinishWalk(bg, walk.ID); err != nil && runErr == nil {
			runErr = err
		}
	}
	sum.Requests = f.Requests()
	if err := st.FinishRun(bg, c.runID, sum); err != nil && runErr == nil {
		runErr = err
	}
	return sum, runErr
}

// crawl is the state of one run.
type crawl struct {
	cfg        Config
	st         Store
	f          *fetch.Client
	log        *slog.Logger
	host       string
	rules      *fetch.Robots
	walk       harvest.Walk
	runID      int64
	start      string // the walk's first page
	fresh      bool   // a new walk (not one taken up again)
	sum        *harvest.RunSummary
	problems   []string        // what makes the run partial
	bounded    bool            // stopped by --max-pages with pages left
	caughtUp   bool            // an incremental walk met a page with nothing new
	noCache    bool            // the store keeps no page yet: nothing to ask conditionally
	order      map[string]int  // pages met in this run, in order
	handled    map[string]bool // pages fetched in this run (stored or failed)
	shrank     bool            // the listing's total fell during the walk
	totalMoved bool            // the listing's total changed during the walk
	driftAt    int             // the page that first showed the change; -1: none known

	// What the first pages tell of the listing.
	startNext string   // the first page's next link
	perPage   int      // records per page, from the first page's window
	firstTot  int      // the total the first page stated
	pat       *pattern // how pages are numbered, once known
	gen       int      // the next page number to send for from pat
	pages     int      // how many pages the listing has, by its total
	metPage   []bool   // page numbers met in this run, once pat is known
}

// result is a fetched and parsed listing page.
type result struct {
	url         string
	status      int
	charset     string
	invalid     int
	etag, lastM string
	notModified bool
	next        []harvest.PendingPage // the pages it leads to
	enqueue     []string              // further pages of the listing it made known
	page        harvest.ListingPage
	err         error // fetch or parse failure
}

// fetchPage fetches and parses one listing page. With validators from the
// page's last good answer it asks conditionally; a 304 gives the page as it
// was then.
func (c *crawl) fetchPage(ctx context.Context, u string) result {
	return c.fetchWith(ctx, u, c.cached(ctx, u))
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

// fetchWith is fetchPage with the page's cache entry read already (nil: none),
// so that the workers that call it never wait on the database.
func (c *crawl) fetchWith(ctx context.Context, u string, cached *harvest.CachedPage) result {
	r := result{url: u}
	haveCache := cached != nil
	hdr := http.Header{}
	if haveCache {
		if cached.ETag != "" {
			hdr.Set("If-None-Match", cached.ETag)
		}
		if cached.LastModified != "" {
			hdr.Set("If-Modified-Since", cached.LastModified)
		}
	}
	resp, err := c.f.Get(ctx, u, hdr)
	if err != nil {
		r.err = err
		var fe *fetch.Error
		if errors.As(err, &fe) {
			r.status = fe.Status
		}
		return r
	}
	r.status, r.charset, r.invalid = resp.Status, resp.Charset, resp.Invalid
	r.etag, r.lastM = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if resp.Status == http.StatusNotModified && haveCache {
		r.notModified = true
		r.page = harvest.ListingPage{URL: u, Next: cached.Next, Window: harvest.Window{Total: cached.Total}}
		r.etag, r.lastM = cached.ETag, cached.LastModified
		return r
	}
	if resp.Status != http.StatusOK {
		if resp.Challenge {
			r.err = fmt.Errorf("%s: HTTP %d: %w", u, resp.Status, harvest.ErrChallenge)
		} else {
			r.err = &fetch.Error{URL: u, Status: resp.Status, Err: errors.New(http.StatusText(resp.Status))}
		}
		return r
	}
	if resp.Invalid > 0 {
		r.page.Warnings = append(r.page.Warnings, fmt.Sprintf("%s: %d bytes not valid in its charset %s were replaced with U+FFFD", u, resp.Invalid, resp.Charset))
	}
	page, err := parse(resp.Body, u, c.cfg.Profile)
	if errors.Is(err, harvest.ErrChallenge) {
		c.f.Halt()
	}
	page.Warnings = append(r.page.Warnings, page.Warnings...)
	r.page, r.err = page, err
	if page.Next != "" {
		// Listing URLs are compared in one form: query parameters sorted.
		r.page.Next, _ = listingURL(nil, page.Next)
	}
	return r
}

// parse runs the parser, turning a panic on some unforeseen page into that
// page's error: one bad page must not end a harvest.
func parse(body []byte, u string, p parser.Profile) (page harvest.ListingPage, err error) {
	defer func() {
		if v := recover(); v != nil {
			page, err = harvest.ListingPage{URL: u}, fmt.Errorf("%s: parser failed: %v", u, v)
		}
	}()
	return parser.ParseListing(body, u, p)
}

// loop fetches the queue, at most cfg.Concurrency pages at a time, and stores
// each page as it comes back. Pages found on a page join the queue, and are
// sent for before the page is stored, so that storing overlaps fetching.
// Pages are stored in groups, one transaction each, whenever no fetched page
// is waiting (group commit); an incremental walk, whose end depends on what a
// page held, stores each page before going on.
func (c *crawl) loop(ctx context.Context, queue []harvest.PendingPage, first *result) error {
	// Group commit: pages wait in memory until maxBatch of them, or until
	// no fetched page waits and minBatch are there or the oldest is
	// maxBatchAge old. A kill loses at most those; the next run fetches them.
	const maxBatch, minBatch, maxBatchAge = 64, 16, 250 * time.Millisecond
	batchAt := time.Now()
	results := make(chan result, c.cfg.Concurrency+2)
	inflight, fetched := 0, 0
	var stop, storeErr error
	var batch []result
	for _, p := range queue {
		c.queued(p.URL)
	}
	// Workers fetch and parse. There are a few more of them than requests
	// may be in flight, so that parsing one page overlaps fetching the next:
	// the transport's gate holds the requests to cfg.Concurrency per host.
	workers := c.cfg.Concurrency + 2
	dispatch := func() {
		for stop == nil && ctx.Err() == nil && inflight < workers {
			if len(queue) == 0 && !c.generate(&queue) {
				return
			}
			if c.cfg.MaxPages > 0 && fetched >= c.cfg.MaxPages {
				c.bounded = true
				return
			}
			p := queue[0]
			queue = queue[1:]
			if !c.rules.Allowed(p.URL) {
				c.skip(ctx, p.URL, "disallowed by robots.txt")
				continue
			}
			fetched++
			inflight++
			cached := c.cached(ctx, p.URL)
			go func(u string) { results <- c.fetchWith(ctx, u, cached) }(p.URL)
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
		next, err := c.plan(ctx, &r)
		if err != nil {
			stop = err
			return
		}
		c.markHandled(r.url)
		switch {
		case r.err != nil:
			flush()
			queue = append(queue, next...)
			c.sum.FailedPages++
			c.problems = append(c.problems, r.err.Error())
			c.log.Warn("page failed", "url", r.url, "status", r.status, "err", r.err)
			if err := c.st.MarkFailed(ctx, c.walk.ID, r.url, r.status, r.err, append(urlsOf(next), r.enqueue...)); err != nil {
				stop = err
			}
		case c.sum.Mode == harvest.WalkIncremental:
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
			if len(batch) >= maxBatch {
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
		if stop != nil || ctx.Err() != nil {
			continue // drain what is in flight; store nothing more
		}
		handle(r)
	}
	flush()
	if stop != nil {
		return stop
	}
	return ctx.Err()
}

func urlsOf(pages []harvest.PendingPage) []string {
	out := make([]string, len(pages))
	for i, p := range pages {
		out[i] = p.URL
	}
	return out
}

// met reports whether u was met in this run.
func (c *crawl) met(u string) bool {
	if k, ok := c.pageNumber(u); ok {
		return c.metPage[k]
	}
	_, ok := c.order[u]
	return ok
}

// queued notes that u is in the walk, in the order pages were met. Pages
// that page numbering covers take a bit each, not an entry: memory does not
// grow with the listing.
func (c *crawl) queued(u string) {
	if k, ok := c.pageNumber(u); ok {
		c.metPage[k] = true
		return
	}
	if _, ok := c.order[u]; !ok {
		c.order[u] = len(c.order)
	}
}

func (c *crawl) markHandled(u string) {
	if _, ok := c.pageNumber(u); !ok {
		c.handled[u] = true
	}
}

// pageNumber returns u's page number, when page numbering is known and u is
// one of the listing's pages.
func (c *crawl) pageNumber(u string) (int, bool) {
	if c.pat == nil {
		return 0, false
	}
	if u == c.start {
		return 0, true
	}
	k, ok := c.pat.index(u)
	if !ok || k < 0 || k >= len(c.metPage) {
		return 0, false
	}
	return k, true
}

// generate puts the next page of the listing not met yet on the queue, once
// page numbering is known; false when there is none.
func (c *crawl) generate(queue *[]harvest.PendingPage) bool {
	for c.pat != nil && c.gen < c.pages {
		k := c.gen
		c.gen++
		if c.metPage[k] {
			continue
		}
		c.metPage[k] = true
		*queue = append(*queue, harvest.PendingPage{URL: c.pat.url(k)})
		return true
	}
	return false
}

// plan judges a result and returns the pages it leads to; the pages of the
// listing that it made known (once page numbering is), it sets in
// r.enqueue: they go to the frontier, and to the queue only when their turn
// comes (see generate).
func (c *crawl) plan(ctx context.Context, r *result) ([]harvest.PendingPage, error) {
	for _, w := range r.page.Warnings {
		c.log.Warn(w)
	}
	if ctx.Err() != nil && r.err != nil {
		return nil, ctx.Err()
	}
	if errors.Is(r.err, harvest.ErrChallenge) {
		return nil, r.err
	}
	var out []harvest.PendingPage
	for _, u := range c.follow(ctx, *r) {
		c.queued(u)
		out = append(out, harvest.PendingPage{URL: u})
	}
	r.enqueue = c.allPages(*r)
	return out, nil
}

// save stores good pages in one transaction and counts them. In an
// incremental walk it notes when a whole page held nothing new.
func (c *crawl) save(ctx context.Context, rs []result) error {
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
		cnt := counts[i]
		c.sum.Pages++
		if r.notModified {
			c.sum.NotModified++
		}
		c.sum.Counts.Add(cnt)
		if t := r.page.Window.Total; t > 0 {
			if c.sum.TotalReported > 0 && t != c.sum.TotalReported {
				c.log.Info("the listing's total changed during the walk: pagination drift", "was", c.sum.TotalReported, "now", t, "page", r.url)
				if k, ok := c.pageNumber(r.url); ok && !c.totalMoved {
					c.driftAt = k
				}
				c.totalMoved = true
				if t < c.sum.TotalReported {
					c.shrank = true
				}
			}
			c.sum.TotalReported = t
		}
		if c.sum.Mode == harvest.WalkIncremental && cnt.New == 0 && cnt.Updated == 0 && cnt.Unchanged > 0 && len(r.next) > 0 {
			// Its next page stays pending in this walk's frontier, never
			// fetched: the walk is finished at the end all the same.
			c.caughtUp = true
			c.log.Info("incremental: a whole page of records already stored; stopping", "page", r.url)
		}
		c.log.Debug("page stored", "url", r.url, "records", len(r.page.Records), "new", cnt.New, "not_modified", r.notModified, "strategy", r.page.Strategy)
	}
	return nil
}

// follow decides which pages a result leads to: its next page, if it is on
// the host and new to the walk. A next link back to a page fetched before
// this one is a pager loop: reported, not followed.
func (c *crawl) follow(ctx context.Context, r result) []string {
	var out []string
	if n := r.page.Next; n != "" {
		switch ok, err := c.newPage(ctx, r.url, n); {
		case err != nil:
			c.log.Warn("frontier lookup failed", "url", n, "err", err)
		case ok:
			out = append(out, n)
		}
	}
	return out
}

// newPage reports whether next is a page to add to the walk. Pages met in
// this run are known from memory (some may not be stored yet); pages of an
// earlier run of the walk, from the frontier.
func (c *crawl) newPage(ctx context.Context, from, next string) (bool, error) {
	if !sameHost(next, c.host) {
		msg := fmt.Sprintf("%s: next link leads to another host (%s); not followed", from, next)
		c.log.Warn(msg)
		c.problems = append(c.problems, msg)
		return false, nil
	}
	loop := false
	kn, numbered := c.pageNumber(next)
	switch {
	case numbered:
		if !c.metPage[kn] {
			return true, nil
		}
		kf, ok := c.pageNumber(from)
		loop = ok && kn <= kf
	case c.met(next):
		loop = c.handled[next] && c.order[next] <= c.order[from]
	default:
		seq, done, known, err := c.st.Known(ctx, c.walk.ID, next)
		if err != nil || !known {
			return err == nil, err
		}
		fromSeq, _, fromKnown, err := c.st.Known(ctx, c.walk.ID, from)
		loop = err == nil && done && fromKnown && seq <= fromSeq
	}
	if loop {
		msg := fmt.Sprintf("pager loops: %s leads back to %s, already fetched", from, next)
		c.log.Warn(msg)
		c.problems = append(c.problems, msg)
	}
	return false, nil
}

// allPages works out, once the first page has stated the total and the
// second has confirmed how pages are numbered, every page of the listing: it
// returns them for the frontier (so that an interrupted walk knows them all),
// and from then on the loop sends for them cfg.Concurrency at a time. Only a
// fresh full walk does so, whose order it can still choose.
func (c *crawl) allPages(r result) []string {
	if !c.fresh || c.sum.Mode != harvest.WalkFull || r.err != nil {
		return nil
	}
	w := r.page.Window
	switch {
	case r.url == c.start && w.First == 1 && w.Total > w.Last && r.page.Next != "":
		c.startNext, c.perPage, c.firstTot = r.page.Next, w.Last-w.First+1, w.Total
		return nil
	case r.url != c.startNext || c.startNext == "" || c.pat != nil:
		return nil
	}
	pat, ok := pagePattern(c.start, c.startNext, c.perPage)
	if !ok || w.First != c.perPage+1 {
		c.log.Info("pages are not numbered in a way harvest can predict; following next links one by one", "page", r.url)
		return nil
	}
	total := max(w.Total, c.firstTot)
	c.pages = (total + c.perPage - 1) / c.perPage
	// Room for a listing that grows while it is walked.
	c.metPage = make([]bool, c.pages+c.pages/2+16)
	c.pat, c.gen = pat, 2
	for u := range c.order { // pages met before numbering was known
		if k, ok := c.pageNumber(u); ok {
			c.metPage[k] = true
		}
	}
	var out []string
	for k := 2; k < c.pages; k++ {
		if u := pat.url(k); !c.metPage[k] && c.rules.Allowed(u) {
			out = append(out, u)
		}
	}
	c.log.Info("listing total known: every page queued", "pages", c.pages, "per_page", c.perPage, "in_flight", c.cfg.Concurrency)
	return out
}

// repair fetches the listing again from the top when pages drifted while the
// walk ran. Documents published at the top push records down a page: the
// walk meets some twice and, fetching pages out of order, can miss some, and
// it misses the new ones on pages it had fetched before; then it found fewer
// records than the listing states, and the pass stops once the count is
// whole. Documents withdrawn pull records up a page, past the walk, while the
// withdrawn ones still count, so the count proves nothing: when the total
// fell, or pages overlap (a page begins with records of the page before)
// while the total stayed put (as many published as withdrawn), the pass goes
// over every page once more.
func (c *crawl) repair(ctx context.Context) error {
	found, err := c.st.WalkRecords(ctx, c.walk.ID)
	if err != nil {
		return err
	}
	total := c.sum.TotalReported
	if total == 0 {
		return nil
	}
	overlaps := 0
	var prev map[string]bool
	err = c.st.PageRecords(ctx, c.walk.ID, func(_ string, recs []string) {
		if len(recs) > 0 && prev[recs[0]] {
			overlaps++
		}
		prev = make(map[string]bool, len(recs))
		for _, u := range recs {
			prev[u] = true
		}
	})
	if err != nil {
		return err
	}
	everyPage := c.shrank || (overlaps > 0 && !c.totalMoved)
	whole := func() bool { return !everyPage && found >= total }
	if whole() {
		return nil
	}
	c.log.Warn("pages drifted while the walk ran: fetching the listing again from the top",
		"found", found, "total", total, "total_fell", c.shrank, "pages_overlapping", overlaps, "every_page", everyPage)
	// fetch fetches one page again and stores it; it returns the page.
	fetch := func(u string) (*result, error) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r := c.fetchPage(ctx, u)
		if errors.Is(r.err, harvest.ErrChallenge) {
			return nil, r.err
		}
		if r.err != nil {
			c.log.Warn("repair: page failed", "url", u, "err", r.err)
			return nil, nil
		}
		if err := c.save(ctx, []result{r}); err != nil {
			return nil, err
		}
		c.sum.Repaired++
		found, err = c.st.WalkRecords(ctx, c.walk.ID)
		total = c.sum.TotalReported
		return &r, err
	}
	if c.pat == nil {
		// Pages are known only by their next links: from the top.
		for u, k := c.start, 0; u != "" && k <= c.pages+c.pages/2+1 && !whole(); k++ {
			r, err := fetch(u)
			if err != nil || r == nil {
				return err
			}
			u = r.page.Next
		}
	} else {
		for _, k := range c.repairOrder(total) {
			if whole() {
				break
			}
			u := c.start
			if k > 0 {
				u = c.pat.url(k)
			}
			if _, err := fetch(u); err != nil {
				return err
			}
		}
	}
	if found < total {
		c.log.Warn("after repair the walk still lacks records the listing states", "found", found, "total", total)
	}
	return nil
}

// repairOrder lists the page numbers to fetch again, each once, those most
// likely to hold what the walk missed first: the top pages, as many as the
// total grew by (the new documents), then the pages around the one that
// first showed the total change (records that crossed a page boundary while
// pages were fetched out of order), then the rest from the top.
func (c *crawl) repairOrder(total int) []int {
	pages := (total + c.perPage - 1) / c.perPage
	seen := make([]bool, pages)
	var order []int
	add := func(k int) {
		if k >= 0 && k < pages && !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
	}
	grew := max(total-c.firstTot, 0)
	for k := 0; k <= (grew+c.perPage-1)/c.perPage; k++ {
		add(k)
	}
	if c.driftAt >= 0 {
		span := c.cfg.Concurrency + 3 // the pages in flight around the change
		for k := c.driftAt - span; k <= c.driftAt+span; k++ {
			add(k)
		}
	}
	for k := 0; k < pages; k++ {
		add(k)
	}
	return order
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
