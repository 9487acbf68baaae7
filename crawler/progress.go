package crawler

import (
	"time"

	"github.com/harvest-archive/harvest"
)

// Progress is how far a run has come: what the engine hands to
// Config.Progress while it crawls. It is a copy; the observer may keep it.
type Progress struct {
	Elapsed time.Duration // since the run started

	// Listing pages: done in this run, failed for good, and known to be
	// left (queued or in flight, plus, once the listing's numbering is
	// known, the pages its stated total gives that are not met yet).
	Listing Tally
	// AllKnown is true when Listing.Left counts every page the listing
	// has left; otherwise the walk follows next links and knows of only
	// the pages it met so far, so Left is a lower bound.
	AllKnown bool

	// Document pages and attachment files, when the crawl fetches them
	// (their handlers count them as the listing's are counted; zero else).
	Documents Tally
	Files     Tally

	// Records from the pages stored in this run: new, updated, unchanged.
	Records harvest.Counts

	Requests int           // HTTP requests sent: retries, redirects and robots.txt included
	Retries  int           // requests sent again after a failure that could pass
	Delay    time.Duration // the politeness wait between requests to the host (Crawl-delay included)
}

// Tally counts the pages (or files) of one kind in a run.
type Tally struct {
	Done   int   // fetched and stored
	Failed int   // failed for good
	Left   int   // known to be still to fetch
	Bytes  int64 // bytes received, where the kind's handler counts them (files)
}

// ProgressFunc receives a run's progress. It is called on the crawl's
// coordinating goroutine, at most every progressEvery and once when the
// walk ends: it must return quickly, and it must not call into the crawl.
type ProgressFunc func(Progress)

// progressEvery spaces the progress reports.
const progressEvery = 100 * time.Millisecond

// tallies are the per-kind counts a run keeps for its progress reports.
type tallies struct {
	started time.Time
	last    time.Time
	kinds   map[string]*Tally
}

func (t *tallies) of(kind string) *Tally {
	if t.kinds == nil {
		t.kinds = map[string]*Tally{}
	}
	if kind == "" {
		kind = kindListing
	}
	k, ok := t.kinds[kind]
	if !ok {
		k = &Tally{}
		t.kinds[kind] = k
	}
	return k
}

// done counts a page of kind stored, failed is one failed for good.
func (t *tallies) done(kind string)   { t.of(kind).Done++ }
func (t *tallies) failed(kind string) { t.of(kind).Failed++ }

// addBytes counts bytes received for a page of kind (a handler's business:
// the attachments' handler counts the files' bytes).
func (t *tallies) addBytes(kind string, n int64) { t.of(kind).Bytes += n }

// progress reports the run's progress to cfg.Progress, when set: queue and
// inflight are the loop's tasks waiting and sent, unsaved its pages fetched
// and waiting to be stored (still left: they count as done once stored).
// Reports come at most every progressEvery unless final.
func (c *crawl) progress(queue []task, inflight map[string]int, unsaved []result, final bool) {
	if c.cfg.Progress == nil {
		return
	}
	now := time.Now()
	if !final && now.Sub(c.tally.last) < progressEvery {
		return
	}
	c.tally.last = now
	left := map[string]int{}
	for _, t := range queue {
		left[t.kind]++
	}
	for _, t := range c.urgent {
		left[t.kind]++
	}
	for k, n := range inflight {
		left[k] += n
	}
	for _, r := range unsaved {
		left[r.kind]++
	}
	p := Progress{
		Elapsed:  now.Sub(c.tally.started),
		Records:  c.sum.Counts,
		Requests: c.f.Requests(),
		Retries:  c.f.Retries(),
		Delay:    c.f.Delay(),
	}
	fill := func(kind string, into *Tally) {
		*into = *c.tally.of(kind)
		into.Left = left[kind]
		if kind == kindListing {
			into.Left += left[""]
		}
	}
	fill(kindListing, &p.Listing)
	fill(harvest.KindDocument, &p.Documents)
	fill(harvest.KindAttachment, &p.Files)
	if c.pat != nil && c.pages > 0 {
		p.AllKnown = true
		for k := c.gen; k < c.pages; k++ {
			if !c.metPage[k] {
				p.Listing.Left++
			}
		}
	}
	c.cfg.Progress(p)
}
