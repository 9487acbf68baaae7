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
	Logger       *slog.Logger
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
	NewWalk(ctx context.Context, startURL string) (harvest.Walk, error)
	Pending(ctx context.Context, walkID int64) ([]harvest.PendingPage, error)
	Known(ctx context.Context, walkID int64, url string) (known, done bool, err error)
	BeginRun(ctx context.Context, startURL string, walkID int64) (int64, error)
	SavePage(ctx context.Context, p harvest.PageResult) (harvest.Counts, error)
	MarkFailed(ctx context.Context, walkID int64, url string, status int, cause error, enqueue []string) error
	MarkSkipped(ctx context.Context, walkID int64, url, reason string) error
	FinishWalk(ctx context.Context, walkID int64) error
	FinishRun(ctx context.Context, runID int64, s harvest.RunSummary) error
	WalkRecords(ctx context.Context, walkID int64) (int, error)
}

// Run walks the listing from cfg.StartURL (or takes up its unfinished walk)
// and stores every page's records. It returns what the run did, and an error
// that wraps harvest.ErrPartial when pages failed for good, ErrChallenge when
// the site refused automated access, ErrUnreachable when the host could not
// be reached (nothing is written then), or the context's error when stopped.
func Run(ctx context.Context, cfg Config, st Store) (harvest.RunSummary, error) {
	sum := harvest.RunSummary{Outcome: harvest.OutcomeFailed}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start, err := harvest.CanonicalURL(nil, cfg.StartURL)
	if err != nil {
		return sum, fmt.Errorf("start url: %w", err)
	}
	startURL, _ := url.Parse(start)
	if startURL.Scheme != "http" && startURL.Scheme != "https" {
		return sum, fmt.Errorf("start url %s: want http or https", start)
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}

	// Read, but write nothing, until the host has answered.
	walk, resumed, err := st.FindWalk(ctx, start)
	if err != nil {
		return sum, err
	}
	queue := []harvest.PendingPage{{URL: start}}
	if resumed {
		if queue, err = st.Pending(ctx, walk.ID); err != nil {
			return sum, err
		}
		log.Info("resuming unfinished walk", "walk", walk.ID, "pages_left", len(queue))
	}

	f := newFetcher(ctx, cfg, startURL.Host)
	defer func() { sum.Requests = f.requests() }()
	var rules *robots
	if !cfg.IgnoreRobots {
		rules, err = fetchRobots(ctx, f, startURL, cfg.UserAgent)
		if err != nil {
			return sum, unreachable(ctx, err)
		}
		if rules.group != nil && rules.group.CrawlDelay > 0 {
			f.transport.gate.setDelay(rules.group.CrawlDelay)
			log.Info("robots.txt asks for a crawl delay", "delay", rules.group.CrawlDelay)
		}
	}

	c := &crawl{cfg: cfg, st: st, f: f, log: log, host: startURL.Host, rules: rules, sum: &sum}
	// The first page answers for the host before anything is written.
	var first *result
	for len(queue) > 0 && first == nil {
		p := queue[0]
		if !rules.allowed(p.URL) {
			break // reported by the loop below, once the walk exists
		}
		r := c.fetchPage(ctx, p.URL)
		if ctx.Err() != nil {
			return sum, ctx.Err()
		}
		if r.err != nil && isUnreachable(r.err) {
			return sum, unreachable(ctx, r.err)
		}
		if errors.Is(r.err, harvest.ErrChallenge) {
			return sum, r.err
		}
		first = &r
		queue = queue[1:]
	}
	if !resumed {
		if walk, err = st.NewWalk(ctx, start); err != nil {
			return sum, err
		}
	}
	c.walk = walk
	runID, err := st.BeginRun(ctx, start, walk.ID)
	if err != nil {
		return sum, err
	}
	sum.Outcome = harvest.OutcomeRunning
	runErr := c.loop(ctx, queue, first)

	sum.Records, _ = st.WalkRecords(context.WithoutCancel(ctx), walk.ID)
	switch {
	case errors.Is(runErr, context.Canceled) || errors.Is(runErr, context.DeadlineExceeded):
		sum.Outcome, sum.Message = harvest.OutcomeInterrupted, "interrupted; the next run resumes"
	case errors.Is(runErr, harvest.ErrChallenge):
		sum.Outcome, sum.Message = harvest.OutcomeFailed, runErr.Error()
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
		if err := st.FinishWalk(context.WithoutCancel(ctx), walk.ID); err != nil {
			runErr = err
		}
	}
	sum.Requests = f.requests()
	if err := st.FinishRun(context.WithoutCancel(ctx), runID, sum); err != nil && runErr == nil {
		runErr = err
	}
	return sum, runErr
}

// crawl is the state of one run.
type crawl struct {
	cfg      Config
	st       Store
	f        *fetcher
	log      *slog.Logger
	host     string
	rules    *robots
	walk     harvest.Walk
	sum      *harvest.RunSummary
	problems []string // what makes the run partial
	bounded  bool     // stopped by --max-pages with pages left
}

// result is a fetched and parsed listing page.
type result struct {
	url     string
	status  int
	charset string
	invalid int
	page    harvest.ListingPage
	err     error // fetch or parse failure
}

func (c *crawl) fetchPage(ctx context.Context, u string) result {
	r := result{url: u}
	resp, err := c.f.get(ctx, u, nil)
	if err != nil {
		r.err = err
		var fe *fetchError
		if errors.As(err, &fe) {
			r.status = fe.Status
		}
		return r
	}
	r.status, r.charset, r.invalid = resp.Status, resp.Charset, resp.Invalid
	if resp.Status != http.StatusOK {
		if (resp.Status == http.StatusForbidden || resp.Status == http.StatusServiceUnavailable || resp.Status == http.StatusTooManyRequests) && parser.IsChallenge(resp.Body) {
			r.err = fmt.Errorf("%s: HTTP %d: %w", u, resp.Status, harvest.ErrChallenge)
		} else {
			r.err = &fetchError{URL: u, Status: resp.Status, Err: errors.New(http.StatusText(resp.Status))}
		}
		return r
	}
	if resp.Invalid > 0 {
		r.page.Warnings = append(r.page.Warnings, fmt.Sprintf("%s: %d bytes not valid in its charset %s were replaced with U+FFFD", u, resp.Invalid, resp.Charset))
	}
	page, err := parse(resp.Body, u, c.cfg.Profile)
	page.Warnings = append(r.page.Warnings, page.Warnings...)
	r.page, r.err = page, err
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
// each page as it comes back. Pages found on a page join the queue.
func (c *crawl) loop(ctx context.Context, queue []harvest.PendingPage, first *result) error {
	results := make(chan result)
	inflight, fetched := 0, 0
	var stop error
	if first != nil {
		fetched++
		if err := c.handle(ctx, *first, &queue); err != nil {
			stop = err
		}
	}
	for {
		for stop == nil && ctx.Err() == nil && inflight < c.cfg.Concurrency && len(queue) > 0 {
			if c.cfg.MaxPages > 0 && fetched >= c.cfg.MaxPages {
				c.bounded = true
				break
			}
			p := queue[0]
			queue = queue[1:]
			if !c.rules.allowed(p.URL) {
				c.skip(ctx, p.URL, "disallowed by robots.txt")
				continue
			}
			fetched++
			inflight++
			go func(u string) { results <- c.fetchPage(ctx, u) }(p.URL)
		}
		if inflight == 0 {
			break
		}
		r := <-results
		inflight--
		if stop != nil || ctx.Err() != nil {
			continue // drain what is in flight; store nothing more
		}
		if err := c.handle(ctx, r, &queue); err != nil {
			stop = err
		}
	}
	if stop != nil {
		return stop
	}
	return ctx.Err()
}

// handle stores one result and queues the pages it leads to.
func (c *crawl) handle(ctx context.Context, r result, queue *[]harvest.PendingPage) error {
	for _, w := range r.page.Warnings {
		c.log.Warn(w)
	}
	if ctx.Err() != nil && r.err != nil {
		return ctx.Err()
	}
	if errors.Is(r.err, harvest.ErrChallenge) {
		return r.err
	}
	next := c.follow(ctx, r)
	if r.err != nil {
		c.sum.FailedPages++
		c.problems = append(c.problems, r.err.Error())
		c.log.Warn("page failed", "url", r.url, "status", r.status, "err", r.err)
		if err := c.st.MarkFailed(ctx, c.walk.ID, r.url, r.status, r.err, next); err != nil {
			return err
		}
	} else {
		counts, err := c.st.SavePage(ctx, harvest.PageResult{
			WalkID: c.walk.ID, URL: r.url, Status: r.status, Records: r.page.Records,
			Total: r.page.Window.Total, Enqueue: next, Charset: r.charset, InvalidBytes: r.invalid,
		})
		if err != nil {
			return err
		}
		c.sum.Pages++
		c.sum.Counts.Add(counts)
		c.log.Debug("page stored", "url", r.url, "records", len(r.page.Records), "new", counts.New, "strategy", r.page.Strategy)
	}
	if r.page.Window.Total > 0 {
		c.sum.TotalReported = r.page.Window.Total
	}
	for _, u := range next {
		*queue = append(*queue, harvest.PendingPage{URL: u})
	}
	return nil
}

// follow decides which of the pages a result points to join the walk: the
// next page, if it is on the host, allowed, and not met before in this walk.
// A next link back to a page already fetched is a pager loop: reported, not
// followed.
func (c *crawl) follow(ctx context.Context, r result) []string {
	n := r.page.Next
	if n == "" {
		return nil
	}
	if !sameHost(n, c.host) {
		msg := fmt.Sprintf("%s: next link leads to another host (%s); not followed", r.url, n)
		c.log.Warn(msg)
		c.problems = append(c.problems, msg)
		return nil
	}
	known, done, err := c.st.Known(ctx, c.walk.ID, n)
	if err != nil {
		c.log.Warn("frontier lookup failed", "url", n, "err", err)
		return nil
	}
	if known {
		if done {
			msg := fmt.Sprintf("pager loops: %s leads back to %s, already fetched", r.url, n)
			c.log.Warn(msg)
			c.problems = append(c.problems, msg)
		}
		return nil
	}
	return []string{n}
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
	var fe *fetchError
	return errors.As(err, &fe) && fe.Status == 0 && !errors.Is(err, context.Canceled) && !errors.Is(err, errOffHost) && !errors.Is(err, errTooLarge)
}

func unreachable(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("%w: %v", harvest.ErrUnreachable, err)
}
