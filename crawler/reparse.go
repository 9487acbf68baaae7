package crawler

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/parser"
)

// Capture is a page as the server once sent it, read back from the archive
// of captures (the WARC files): its body with the transfer and content
// encodings undone, its charset untouched.
type Capture struct {
	URL    string
	Date   time.Time
	Status int
	Header http.Header
	Body   []byte
}

// ReparseStore is what a re-parse needs of the database.
type ReparseStore interface {
	// ListingPages calls fn for every listing page of every walk, with the
	// walk it belongs to (the latest, when several).
	ListingPages(ctx context.Context, fn func(url string, walkID int64) error) error
	FindWalk(ctx context.Context, startURL string) (harvest.Walk, bool, error)
	NewWalk(ctx context.Context, startURL, kind, listing string) (harvest.Walk, error)
	BeginRun(ctx context.Context, w harvest.Walk) (int64, error)
	SavePages(ctx context.Context, pages []harvest.PageResult) ([]harvest.Counts, error)
	FinishWalk(ctx context.Context, walkID int64) error
	FinishRun(ctx context.Context, runID int64, s harvest.RunSummary) error
}

// ReparseSummary is what a re-parse did.
type ReparseSummary struct {
	Captures int // responses read from the captures
	Pages    int // listing pages parsed and stored (the latest capture of each)
	Skipped  int // captures that are not listing pages of this database, or not 200s
	Failed   int // listing pages the parser could not read
	harvest.Counts
}

// WalkReparse is the kind of walk that holds the listing pages of captures
// re-parsed into a database that had never crawled them.
const WalkReparse = "reparse"

// Reparse runs today's parser, with the profile profileFor gives a page's
// host, over the captured listing pages that each hands over, and stores
// what it finds as a crawl would have: records added or updated, a history
// row for each changed field, the page cache refreshed. Nothing is fetched.
// each calls fn with the latest capture of every URL that keep accepts, once
// per URL (pages are parsed in parallel: a URL handed over twice is stored
// twice, in no set order).
//
// Which captures are listing pages the database says (its walks'
// frontiers); a database that knows none (a new one, for captures alone)
// takes every HTML page that is not robots.txt, under one walk of kind
// WalkReparse named by source.
//
// Pages are parsed on every core while the captures are read, and stored in
// groups as they come, one run per walk.
func Reparse(ctx context.Context, profileFor func(host string) parser.Profile, st ReparseStore, source string, each func(keep func(url string) bool, fn func(Capture) error) error, log *slog.Logger) (ReparseSummary, error) {
	var sum ReparseSummary
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	walkOf := map[string]int64{}
	if err := st.ListingPages(ctx, func(u string, walkID int64) error {
		walkOf[u] = walkID
		return nil
	}); err != nil {
		return sum, fmt.Errorf("reparse: listing pages: %w", err)
	}
	anyPage := len(walkOf) == 0
	if anyPage {
		log.Info("the database knows no listing page: every captured HTML page is taken for one", "source", source)
		w, found, err := st.FindWalk(ctx, source)
		if err == nil && !found {
			w, err = st.NewWalk(ctx, source, WalkReparse, source)
		}
		if err != nil {
			return sum, fmt.Errorf("reparse: walk: %w", err)
		}
		walkOf = map[string]int64{source: w.ID}
	}
	walkFor := func(u string) int64 {
		if anyPage {
			return walkOf[source]
		}
		return walkOf[u]
	}

	type parsed struct {
		res  harvest.PageResult
		warn []string
		err  error
	}
	jobs := make(chan Capture, 16)
	out := make(chan parsed, 16)
	var wg sync.WaitGroup
	for range max(runtime.GOMAXPROCS(0), 1) {
		wg.Go(func() {
			for c := range jobs {
				res, warn, err := reparsePage(c, profileFor)
				out <- parsed{res: res, warn: warn, err: err}
			}
		})
	}
	keep := func(raw string) bool {
		u, err := listingURL(nil, raw)
		if err != nil {
			return false
		}
		if _, known := walkOf[u]; known && !anyPage {
			return true
		}
		p, err := url.Parse(u)
		return anyPage && err == nil && p.Path != "/robots.txt"
	}
	var readErr error
	go func() {
		defer func() {
			close(jobs)
			wg.Wait()
			close(out)
		}()
		readErr = each(keep, func(c Capture) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			sum.Captures++
			u, err := listingURL(nil, c.URL)
			if err != nil || c.Status != http.StatusOK || !keep(u) || (anyPage && !looksLikePage(u, c.Header)) {
				sum.Skipped++
				return nil
			}
			c.URL = u
			jobs <- c
			return nil
		})
	}()

	// Store, one run per walk, in groups of pages as a crawl does.
	runs := map[int64]int64{}
	runSums := map[int64]*harvest.RunSummary{}
	var batch []harvest.PageResult
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		counts, err := st.SavePages(context.WithoutCancel(ctx), batch)
		if err != nil {
			return fmt.Errorf("reparse: store: %w", err)
		}
		for i, c := range counts {
			sum.Counts.Add(c)
			rs := runSums[batch[i].WalkID]
			rs.Pages++
			rs.Counts.Add(c)
		}
		batch = batch[:0]
		return nil
	}
	var storeErr error
	for p := range out {
		if storeErr != nil || ctx.Err() != nil {
			continue // drain the workers
		}
		for _, w := range p.warn {
			log.Warn(w)
		}
		if p.err != nil {
			sum.Failed++
			log.Warn("reparse: page not readable", "err", p.err)
			continue
		}
		walkID := walkFor(p.res.URL)
		if _, ok := runs[walkID]; !ok {
			runID, err := st.BeginRun(ctx, harvest.Walk{ID: walkID, StartURL: source})
			if err != nil {
				storeErr = fmt.Errorf("reparse: begin run: %w", err)
				continue
			}
			runs[walkID] = runID
			runSums[walkID] = &harvest.RunSummary{Mode: WalkReparse, Outcome: harvest.OutcomeRunning}
		}
		p.res.WalkID, p.res.RunID = walkID, runs[walkID]
		batch = append(batch, p.res)
		sum.Pages++
		if len(batch) >= 64 {
			storeErr = flush()
		}
	}
	if storeErr == nil && ctx.Err() == nil {
		storeErr = flush()
	}
	if readErr != nil && storeErr == nil && ctx.Err() == nil {
		n := 1
		if joined, ok := readErr.(interface{ Unwrap() []error }); ok {
			n = len(joined.Unwrap())
		}
		if sum.Pages == 0 && n == 1 {
			storeErr = fmt.Errorf("reparse %s: %w", source, readErr)
		} else {
			log.Warn("some captures could not be read; the others are stored", "source", source, "unreadable", n, "err", readErr)
			sum.Failed += n
		}
	}
	if storeErr == nil && ctx.Err() == nil && sum.Pages == 0 && !anyPage {
		log.Warn("no usable capture (a 200) of any listing page this database knows", "source", source, "listing_pages", len(walkOf))
		sum.Failed++
	}
	bg := context.WithoutCancel(ctx)
	for walkID, runID := range runs {
		rs := runSums[walkID]
		switch {
		case storeErr != nil:
			rs.Outcome, rs.Message = harvest.OutcomeFailed, storeErr.Error()
		case ctx.Err() != nil:
			rs.Outcome, rs.Message = harvest.OutcomeInterrupted, "interrupted"
		default:
			rs.Outcome, rs.Message = harvest.OutcomeComplete, "re-parsed from "+source
		}
		if err := st.FinishRun(bg, runID, *rs); err != nil && storeErr == nil {
			storeErr = err
		}
	}
	if anyPage && storeErr == nil && ctx.Err() == nil {
		if err := st.FinishWalk(bg, walkOf[source]); err != nil {
			storeErr = err
		}
	}
	switch {
	case storeErr != nil:
		return sum, storeErr
	case ctx.Err() != nil:
		return sum, ctx.Err()
	case sum.Failed > 0:
		return sum, fmt.Errorf("%w: %d captured listing pages could not be parsed or read", harvest.ErrPartial, sum.Failed)
	}
	return sum, nil
}

// reparsePage decodes and parses one capture into the page result a crawl
// would have stored, with the parser's warnings; a page the parser cannot
// read (no records, a challenge) is an error, as it fails in a crawl.
func reparsePage(c Capture, profileFor func(host string) parser.Profile) (harvest.PageResult, []string, error) {
	var profile parser.Profile
	if u, err := url.Parse(c.URL); err == nil {
		profile = profileFor(u.Hostname())
	}
	ct := c.Header.Get("Content-Type")
	d := parser.DecodeHTML(c.Body, ct)
	page, err := parse(d.Body, c.URL, profile)
	if err != nil {
		return harvest.PageResult{}, page.Warnings, err
	}
	next := page.Next
	if next != "" {
		next, _ = listingURL(nil, next)
	}
	cs := d.Charset
	if d.Guessed {
		cs += guessedMark
		page.Warnings = append(page.Warnings, fmt.Sprintf("%s: no charset declared; decoded as %s, a charset guessed from its bytes", c.URL, d.Charset))
	}
	return harvest.PageResult{
		URL: c.URL, Status: http.StatusOK, Records: page.Records, Total: page.Window.Total,
		Charset: cs, InvalidBytes: d.Invalid, ETag: c.Header.Get("ETag"), LastModified: c.Header.Get("Last-Modified"), Next: next, SeenAt: c.Date, Reparsed: true,
	}, page.Warnings, nil
}

// looksLikePage tells an HTML page that is not robots.txt.
func looksLikePage(u string, h http.Header) bool {
	p, err := url.Parse(u)
	if err != nil || p.Path == "/robots.txt" {
		return false
	}
	ct := strings.ToLower(h.Get("Content-Type"))
	return ct == "" || strings.Contains(ct, "html")
}
