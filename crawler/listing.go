package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/fetch"
	"github.com/harvest-archive/harvest/parser"
)

// guessedMark follows the charset kept for a page whose charset was not
// declared but detected (see fetch.Response.Guessed).
const guessedMark = " (guessed)"

// listingHandler fetches, parses and judges listing pages: the records they
// hold, their next links, and the whole listing once it is numbered.
type listingHandler struct{ *crawl }

// prepare reads the page's last good answer, for a conditional request.
func (h listingHandler) prepare(ctx context.Context, t *task) {
	if t.cached == nil {
		t.cached = h.cached(ctx, t.url)
	}
}

// fetch fetches and parses one listing page. With validators from the
// page's last good answer it asks conditionally; a 304 gives the page as it
// was then.
func (h listingHandler) fetch(ctx context.Context, t task) result {
	c, u, cached := h.crawl, t.url, t.cached
	r := result{kind: kindListing, url: u}
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
	if resp.Guessed {
		// Nothing declared the charset: it was detected, and may be wrong.
		// The frontier keeps it so flagged.
		r.charset = resp.Charset + guessedMark
		r.page.Warnings = append(r.page.Warnings, fmt.Sprintf("%s: no charset declared; decoded as %s, a charset guessed from its bytes", u, resp.Charset))
	}
	if resp.Invalid > 0 {
		r.page.Warnings = append(r.page.Warnings, fmt.Sprintf("%s: %d bytes not valid in its charset %s were replaced with U+FFFD", u, resp.Invalid, resp.Charset))
	}
	// A page that was redirected is read where it ended: its relative links
	// resolve against the final URL, and its next link leads on from there.
	at := u
	if resp.Redirected {
		if f, err := listingURL(nil, resp.URL); err == nil && f != u {
			at, r.final = f, f
		}
	}
	page, err := parse(resp.Body, at, c.cfg.Profile)
	if errors.Is(err, harvest.ErrChallenge) {
		c.f.Halt()
	}
	page.Warnings = append(r.page.Warnings, page.Warnings...)
	if w := page.Window; err == nil && page.Next == "" && len(page.Records) > 0 && (w.Total == 0 || w.Last < w.Total) {
		// No usable next link, and nothing says this is the last page: a
		// next link that is there but unusable is a broken pager.
		r.broken = brokenNext(resp.Body, at)
	}
	for i, rec := range page.Records {
		if strings.Contains(rec.URL, "@") {
			page.Records[i].URL = withoutUserinfo(rec.URL)
		}
	}
	r.page, r.err = page, err
	if page.Next != "" {
		// Listing URLs are compared in one form: query parameters sorted.
		r.page.Next, _ = listingURL(nil, page.Next)
	}
	return r
}

// withoutUserinfo drops the credentials of a URL (a link written
// http://user:pass@host/...): harvest keeps none.
func withoutUserinfo(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
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

// judge returns the pages a listing page leads to; the pages of the listing
// that it made known (once page numbering is), it sets in r.enqueue: they go
// to the frontier, and to the queue only when their turn comes (see
// generate). In an incremental walk each page is stored before going on.
func (h listingHandler) judge(ctx context.Context, r *result) ([]task, error) {
	c := h.crawl
	for _, w := range r.page.Warnings {
		c.log.Warn(w)
	}
	if ctx.Err() != nil && r.err != nil {
		return nil, ctx.Err()
	}
	if errors.Is(r.err, harvest.ErrChallenge) {
		return nil, r.err
	}
	if errors.Is(r.err, fetch.ErrCapture) {
		// The captures cannot be written (a full disk): a mirror that
		// cannot keep what it fetches stops fetching.
		c.f.Halt()
		return nil, r.err
	}
	var enqueue []string
	if r.url == c.probe && c.probe != "" {
		if enqueue = c.verdict(r); r.drop {
			return nil, nil
		}
	}
	if c.notBorne > 0 {
		r.page.Window.Total = 0 // the stated total, set aside
	}
	if r.final != "" {
		c.noteRedirect(r.url, r.final)
	}
	c.noteShortfall(*r)
	c.judgeJump(*r)
	c.notePagerEnd(*r)
	var out []task
	for _, u := range c.follow(ctx, *r) {
		c.queued(u)
		out = append(out, task{kind: kindListing, url: u})
	}
	r.enqueue = append(enqueue, c.allPages(*r)...)
	r.saveNow = c.sum.Mode == harvest.WalkIncremental
	return out, nil
}

// stored counts a stored listing page, and notes what it tells of drift and,
// in an incremental walk, whether the walk has caught up.
func (h listingHandler) stored(r result, cnt harvest.Counts) {
	c := h.crawl
	c.sum.Pages++
	if r.notModified {
		c.sum.NotModified++
	}
	c.sum.Counts.Add(cnt)
	c.noteTotal(r)
	c.noteCaughtUp(r, cnt)
	c.log.Debug("page stored", "url", r.url, "records", len(r.page.Records), "new", cnt.New, "not_modified", r.notModified, "strategy", r.page.Strategy)
}

// noteRedirect remembers that the listing page u moved to final (on the
// host: fetch refuses others): the walk goes on from final's links, so that
// later pages are not redirected again, and final counts as met. It logs the
// first redirect of the run, the others at debug level.
func (c *crawl) noteRedirect(u, final string) {
	c.queued(final)
	c.markHandled(final)
	if u == c.start {
		c.startFinal = final
	}
	if c.redirected {
		c.log.Debug("listing redirected", "from", u, "to", final)
		return
	}
	c.redirected = true
	c.log.Info("listing redirected; walking it from where it moved", "from", u, "to", final)
}

// noteShortfall records a page on which the parser found fewer records than
// the page's own results line states ("11 - 20 of 50" and nine records): the
// page's markup lost them, which is no drift — fetching the listing again
// would find the same — and the records the walk did not see must not be
// marked gone. The run ends partial, naming the page.
func (c *crawl) noteShortfall(r result) {
	w := r.page.Window
	if r.err != nil || r.notModified || w.First <= 0 || w.Last < w.First {
		return
	}
	if want, got := w.Last-w.First+1, len(r.page.Records); got < want {
		c.problems = append(c.problems, fmt.Sprintf("%s: found %d records where the page states %d", r.url, got, want))
	}
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
		case ok && !c.farJump(r, n):
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
		if a, b, ok := pageNumbers(from, next); ok && b > a {
			loop = false // a page further on, met first (a fleet worker takes pages up out of order)
		}
	default:
		seq, done, known, err := c.st.Known(ctx, c.walk.ID, next)
		if err != nil || !known {
			return err == nil, err
		}
		fromSeq, _, fromKnown, err := c.st.Known(ctx, c.walk.ID, from)
		loop = err == nil && done && fromKnown && seq <= fromSeq
		if a, b, ok := pageNumbers(from, next); ok && b > a {
			loop = false // a page further on, fetched before (the last page, to check the total)
		}
	}
	if loop {
		msg := fmt.Sprintf("pager loops: %s leads back to %s, already fetched", from, next)
		c.log.Warn(msg)
		c.problems = append(c.problems, msg)
	}
	return false, nil
}
