// Package crawler walks an archive's paginated listing and hands each page
// to the parser and its records to the store. Its engine (engine.go)
// schedules tasks of a kind, each with a handler: listing pages now
// (listing.go), with paging, drift repair and the incremental stop in files
// of their own. The HTTP side is package fetch. The crawl keeps to one host
// and its robots.txt, records what failed for good, and keeps its frontier
// in the store so that an interrupted crawl resumes where it stopped.
package crawler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/fetch"
	"github.com/harvest-archive/harvest/files"
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
	// Auth, when set, is sent as Basic credentials to the start URL's host.
	// Credentials in StartURL itself (http://user:pass@host/...) are moved
	// here by Run: no URL harvest stores, logs or reports carries them.
	Auth *url.Userinfo
	// Header is sent with every request (a site that wants a token or a
	// cookie); the User-Agent is UserAgent.
	Header http.Header
	// Recorder, when set, keeps every HTTP exchange as it crossed the wire
	// (the WARC writer; a fetch.SpoolRecorder keeps downloads without
	// holding them in memory).
	Recorder fetch.Recorder
	// Limiter, when set, keeps the per-host politeness instead of the
	// run's own gate: a fleet's, shared through its store (pgstore.HostGate).
	Limiter fetch.Limiter
	// Lease is how long a fleet worker holds a page it fetches (see Fleet);
	// 0 is DefaultLease.
	Lease  time.Duration
	Logger *slog.Logger

	// Details fetches the records' document pages after the listing
	// (--details, --details=all).
	Details Details
	// FilesDir, when set, is where the attachments of the stored document
	// pages are downloaded (--files), content-addressed (package files).
	FilesDir    string
	MaxFileSize int64       // bytes; a larger attachment is not kept (0: no limit)
	MaxBytes    int64       // bytes of attachments to download in this run (0: no limit)
	FileTypes   files.Types // attachment types to keep; empty: all

	// Progress, when set, is told how far the run has come as it goes
	// (see ProgressFunc).
	Progress ProgressFunc
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
		MaxFileSize:  DefaultMaxFileSize,
	}
	if u, err := url.Parse(startURL); err == nil {
		cfg.Profile = parser.ForHost(u.Hostname())
	}
	return cfg
}

// WithoutCredentials returns cfg with the credentials of its StartURL
// (http://user:pass@host/...) moved to Auth, where they are sent to the host
// and never stored. They are taken out of the text before any parsing (see
// fetch.SplitUserinfo), so that no error about the URL can name them.
func (cfg Config) WithoutCredentials() Config {
	rest, u := fetch.SplitUserinfo(cfg.StartURL)
	if u != nil {
		if cfg.Auth == nil {
			cfg.Auth = u
		}
		cfg.StartURL = rest
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

	// Document pages and attachments (document.go, attachment.go).
	DocumentsDue(ctx context.Context, walkID int64, all bool, fn func(harvest.DocumentTask) error) error
	SaveDocuments(ctx context.Context, docs []harvest.DocumentResult) error
	FilesDue(ctx context.Context, fn func(harvest.FileTask) error) error
	SaveFile(ctx context.Context, e harvest.FileEntry, position int) error
	MarkFileFailed(ctx context.Context, t harvest.FileTask, status int, cause error) error
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
	began := time.Now()
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.WithoutCredentials()
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
		if start, sum.Mode, err = incrementalStart(cfg, listing, log); err != nil {
			return sum, err
		}
	}

	// Read, but write nothing, until the host has answered; workers of a
	// fleet (a store with leases) join or begin their shared walk at once.
	walk, resumed := harvest.Walk{}, false
	fleet, _ := st.(Fleet)
	if sum.Mode != harvest.WalkFull {
		fleet = nil // an incremental walk is each worker's own
	}
	switch {
	case fleet != nil:
		if walk, resumed, err = fleet.JoinWalk(ctx, start, listing, cfg.lease(), began); err != nil {
			return sum, err
		}
	case sum.Mode == harvest.WalkFull:
		if walk, resumed, err = st.FindWalk(ctx, start); err != nil {
			return sum, err
		}
	}
	queue := []task{{kind: kindListing, url: start}}
	if resumed {
		pending, err := st.Pending(ctx, walk.ID)
		if err != nil {
			return sum, err
		}
		queue = queue[:0]
		for _, p := range pending {
			queue = append(queue, task{kind: cmp.Or(p.Kind, kindListing), url: p.URL})
		}
		log.Info("resuming unfinished walk", "walk", walk.ID, "pages_left", len(queue))
		sum.TotalReported = walk.Total // as the earlier run saw it: a change is drift
	}

	f := fetch.New(ctx, fetch.Config{
		UserAgent: cfg.UserAgent, Delay: cfg.Delay, Concurrency: cfg.Concurrency, Timeout: cfg.Timeout, MaxBody: cfg.MaxBody,
		Retry: fetch.Retry{Retries: cfg.Retries, Backoff: cfg.Backoff, MaxWait: cfg.MaxRetryWait},
		Host:  startURL.Host, Auth: cfg.Auth, HTTPSOnlyAuth: startURL.Scheme == "https", Recorder: cfg.Recorder, Logger: log,
		Header:   cfg.Header,
		SpoolDir: cfg.FilesDir, Limiter: cfg.Limiter,
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

	c := &crawl{cfg: cfg, st: st, f: f, log: log, host: startURL.Host, rules: rules, sum: &sum, start: start, fresh: !resumed, fleet: fleet, walk: walk,
		paging: paging{order: map[string]int{}, handled: map[string]bool{}}, drift: drift{driftAt: -1}, tally: tallies{started: time.Now()}}
	c.handlers = map[string]handler{kindListing: listingHandler{c}, kindDocument: documentHandler{c}}
	var fileDir *files.Dir
	if cfg.FilesDir != "" {
		// Opened before anything is fetched: a directory that cannot be
		// written ends the run at once; partial downloads of an
		// interrupted run are removed.
		if fileDir, err = files.Open(cfg.FilesDir); err != nil {
			return sum, err
		}
		c.handlers[kindAttachment] = attachmentHandler{crawl: c, dir: fileDir, spent: &atomic.Int64{}}
	}
	c.queued(start)
	if fleet != nil {
		defer c.heartbeat(ctx)()
	}
	if has, err := st.HasPageCache(ctx); err == nil && !has {
		c.noCache = true
	}
	// The first page answers for the host before anything is written.
	var first *result
	for len(queue) > 0 && first == nil {
		t := queue[0]
		if !rules.Allowed(t.url) {
			break // reported by the loop below, once the walk exists
		}
		if !c.claim(ctx, t) {
			queue = queue[1:] // another worker's
			continue
		}
		r := c.do(ctx, t)
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
	if !resumed && fleet == nil {
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
	bg := context.WithoutCancel(ctx)
	finisher := true // this run ends the walk (a fleet's last worker)
	if fleet != nil {
		if runErr == nil && !c.bounded {
			runErr = c.sweep(ctx)
		}
		if runErr == nil && !c.bounded {
			var unlock func()
			if unlock, runErr = c.finishFleet(ctx); unlock != nil {
				defer unlock()
			}
			finisher = unlock != nil
		}
		if runErr != nil || c.bounded {
			_ = fleet.ReleaseLeases(bg, walk.ID) // the others need not wait for them
		}
	}
	if runErr == nil && sum.Mode == harvest.WalkFull && len(c.problems) == 0 && !c.bounded && finisher {
		runErr = c.repair(ctx)
	}
	if runErr == nil && finisher { // in a fleet, the finisher alone fetches the document pages
		runErr = c.details(ctx)
	}

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
	case !finisher:
		sum.Outcome = harvest.OutcomeComplete
		sum.Message = "this worker's part of the walk is done; another worker finishes the walk (or finished it)"
	default:
		sum.Outcome = harvest.OutcomeComplete
		if c.notBorne > 0 {
			sum.Message = fmt.Sprintf("the listing states %d records, which its pages do not bear out; walked by its next links", c.notBorne)
		}
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
	if runErr == nil && len(c.detailProblems) > 0 {
		// The walk is done; some document pages or attachments are not:
		// recorded with their status, and due again next run.
		msg := fmt.Sprintf("%d document pages and %d attachments failed (due again next run): %s",
			sum.FailedDocuments, sum.FailedFiles-c.notKept, summarize(c.detailProblems))
		sum.Outcome, sum.Message = harvest.OutcomePartial, strings.TrimSpace(sum.Message+" "+msg)
		runErr = fmt.Errorf("%w: %s", harvest.ErrPartial, msg)
	}
	if runErr == nil && c.budgetLeft > 0 {
		sum.Message = strings.TrimSpace(sum.Message + fmt.Sprintf(" byte budget (--max-bytes) spent with %d attachments left; the next run goes on", c.budgetLeft))
	}
	sum.Requests = f.Requests()
	if err := st.FinishRun(bg, c.runID, sum); err != nil && runErr == nil {
		runErr = err
	}
	return sum, runErr
}
