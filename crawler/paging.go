package crawler

import (
	"cmp"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/harvest-archive/harvest"
)

// paging is what the walk knows of how the listing's pages are numbered,
// and which pages it met: once the first page states the total and the
// second confirms the numbering, every page is known without following next
// links, and pages take a bit each rather than an entry.
type paging struct {
	order   map[string]int  // pages met in this run, in order
	handled map[string]bool // pages fetched in this run (stored or failed)

	startFinal string            // where the first page was redirected to, if it was
	redirected bool              // a listing page was redirected in this run (logged once)
	jumps      map[string]string // pages reached by a next link that jumped far: what to say if they hold nothing
	claimed    int               // pages the stated total gives, while it is checked or once trusted
	probe      string            // the page the stated total makes last, until judged (see verdict)
	probeSent  bool              // the probe was sent only to check the total
	notBorne   int               // a stated total that the pages did not bear out; set aside
	urgent     []task            // pages to send before the queue, not for the frontier (the probe)
	startNext  string            // the first page's next link
	perPage    int               // records per page, from the first page's window
	firstTot   int               // the total the first page stated
	pat        *pattern          // how pages are numbered, once known
	gen        int               // the next page number to send for from pat
	pages      int               // how many pages the listing has, by its total
	metPage    []bool            // page numbers met in this run, once pat is known
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
	if c.pat == nil || len(c.metPage) == 0 {
		return 0, false
	}
	if u == c.start || (u == c.startFinal && u != "") {
		return 0, true
	}
	k, ok := c.pat.index(u)
	if !ok || k < 0 || k >= len(c.metPage) {
		return 0, false
	}
	return k, true
}

// generate puts the next page of the listing not met yet on the queue, once
// page numbering is known; false when there is none, and always after the
// walk (document pages and attachments: a walk bounded by --max-pages must
// not go on while they are fetched).
func (c *crawl) generate(queue *[]task) bool {
	if c.walkOver {
		return false
	}
	for c.pat != nil && c.gen < c.pages {
		k := c.gen
		c.gen++
		if c.metPage[k] {
			continue
		}
		c.metPage[k] = true
		*queue = append(*queue, task{kind: kindListing, url: c.pat.url(k)})
		return true
	}
	return false
}

// trustPages is the most pages a stated total is taken for without a
// look at its last page: a lie costs at most that many requests, and a
// listing of up to that many pages is walked in order.
const trustPages = 200

// maxUpfront bounds the pages written to the frontier at once from a stated
// total; pages past it are sent for as the walk goes (see generate).
const maxUpfront = 100_000

// allPages works out, once the first page has stated the total and the
// second has confirmed how pages are numbered, every page of the listing: it
// returns them for the frontier (so that an interrupted walk knows them all),
// and from then on the loop sends for them cfg.Concurrency at a time. Only a
// fresh full walk does so, whose order it can still choose.
//
// A stated total is not taken on trust: a results line may claim a billion
// records on a listing of fifty. The page that the total makes last is
// fetched first (see verdict); only when it holds records are the pages
// between queued. Until then, and for good when it does not, the walk
// follows next links.
func (c *crawl) allPages(r result) []string {
	if !c.fresh || c.sum.Mode != harvest.WalkFull || r.err != nil {
		return nil
	}
	w := r.page.Window
	switch {
	case r.url == c.start && w.First == 1 && w.Total > w.Last && r.page.Next != "":
		c.startNext, c.perPage, c.firstTot = r.page.Next, w.Last-w.First+1, w.Total
		return nil
	case r.url != c.startNext || c.startNext == "" || c.pat != nil || c.notBorne > 0:
		return nil
	}
	pat, ok := pagePattern(cmp.Or(c.startFinal, c.start), c.startNext, c.perPage)
	if !ok || w.First != c.perPage+1 {
		c.log.Info("pages are not numbered in a way harvest can predict; following next links one by one", "page", r.url)
		return nil
	}
	total := max(w.Total, c.firstTot)
	c.pat, c.gen, c.claimed = pat, 2, (total+c.perPage-1)/c.perPage
	if c.claimed <= trustPages {
		return c.trust()
	}
	c.probe = pat.url(c.claimed - 1)
	if _, met := c.order[c.probe]; !met {
		c.queued(c.probe)
		c.probeSent = true
		c.urgent = append(c.urgent, task{kind: kindListing, url: c.probe})
	}
	c.log.Info("listing total stated: fetching its last page before queuing every page", "total", total, "pages", c.claimed, "last", c.probe)
	return nil
}

// verdict judges the page that the stated total makes last (c.probe): when
// it holds the records that page should, the total is borne out and every
// page is queued; else the total is set aside with a warning and the walk
// goes on by next links. A probe that was sent only to check the total and
// fails or holds nothing is dropped: neither stored nor a failure.
func (c *crawl) verdict(r *result) []string {
	c.probe = ""
	k := c.claimed - 1
	if w := r.page.Window; r.err == nil && len(r.page.Records) > 0 && (w.First == 0 || w.First == k*c.perPage+1) {
		return c.trust()
	}
	c.notBorne = max(c.sum.TotalReported, c.firstTot)
	c.pat, c.pages, c.claimed = nil, 0, 0
	c.sum.TotalReported = 0
	c.log.Warn(fmt.Sprintf("%s: the listing states %d records (%d pages), but its page %d holds none: the total is not borne out; following next links", r.url, c.notBorne, k+1, k+1))
	if c.probeSent {
		r.drop = true
	}
	return nil
}

// trust queues every page the total gives (at most maxUpfront at once).
func (c *crawl) trust() []string {
	c.pages = c.claimed
	// Room for a listing that grows while it is walked.
	c.metPage = make([]bool, c.pages+c.pages/2+16)
	for u := range c.order { // pages met before numbering was known
		if k, ok := c.pageNumber(u); ok {
			c.metPage[k] = true
		}
	}
	var out []string
	for k := 2; k < c.pages && len(out) < maxUpfront; k++ {
		if u := c.pat.url(k); !c.metPage[k] && c.rules.Allowed(u) {
			out = append(out, u)
		}
	}
	c.log.Info("listing total known: every page queued", "pages", c.pages, "per_page", c.perPage, "in_flight", c.cfg.Concurrency)
	return out
}

// listingURL is the one form in which listing URLs are kept and compared:
// canonical (see harvest.CanonicalURL) with the query parameters sorted by
// name, so that a pager link and a page URL harvest makes are the same string.
func listingURL(base *url.URL, ref string) (string, error) {
	c, err := harvest.CanonicalURL(base, ref)
	if err != nil {
		return "", err
	}
	u, _ := url.Parse(c)
	u.User = nil // credentials are sent, never kept (see Config.Auth)
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return "", fmt.Errorf("query of %s: %w", ref, err)
		}
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// withQuery adds the parameters of query (a query string) to the listing URL u.
func withQuery(u, query string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	add, err := url.ParseQuery(query)
	if err != nil {
		return "", err
	}
	q := p.Query()
	for k, v := range add {
		q[k] = v
	}
	p.RawQuery = q.Encode()
	return listingURL(nil, p.String())
}

// pattern is how a listing numbers its pages.
type pattern struct {
	url   func(k int) string         // the URL of page k (0-based)
	index func(u string) (int, bool) // the page number of a listing URL
}

// pagePattern works out how a listing numbers its pages from its first page's
// URL and its next link: exactly one query parameter must differ, holding
// the second page's number. It knows page indexes from 0 (Drupal's page=1 on
// the second page) or 1 (page=2), and offsets from 0 (start=10) or 1
// (start=11).
func pagePattern(first, second string, perPage int) (*pattern, bool) {
	a, err1 := url.Parse(first)
	b, err2 := url.Parse(second)
	if err1 != nil || err2 != nil || a.Path != b.Path || a.Host != b.Host || perPage < 1 {
		return nil, false
	}
	qa, qb := a.Query(), b.Query()
	param, val := "", 0
	for k, v := range qb {
		if len(v) == 1 && (len(qa[k]) != 1 || qa[k][0] != v[0]) {
			n, err := strconv.Atoi(v[0])
			if err != nil || param != "" {
				return nil, false
			}
			param, val = k, n
		}
	}
	for k := range qa {
		if _, ok := qb[k]; !ok && k != param {
			return nil, false
		}
	}
	if param == "" {
		return nil, false
	}
	var value func(k int) int
	var number func(v int) (int, bool)
	switch val {
	case 1:
		value = func(k int) int { return k }
		number = func(v int) (int, bool) { return v, true }
	case 2:
		value = func(k int) int { return k + 1 }
		number = func(v int) (int, bool) { return v - 1, true }
	case perPage:
		value = func(k int) int { return k * perPage }
		number = func(v int) (int, bool) { return v / perPage, v%perPage == 0 }
	case perPage + 1:
		value = func(k int) int { return k*perPage + 1 }
		number = func(v int) (int, bool) { return (v - 1) / perPage, (v-1)%perPage == 0 }
	default:
		return nil, false
	}
	return &pattern{
		url: func(k int) string {
			q := b.Query()
			q.Set(param, strconv.Itoa(value(k)))
			u := *b
			u.RawQuery = q.Encode()
			s, _ := listingURL(nil, u.String())
			return s
		},
		index: func(s string) (int, bool) {
			u, err := url.Parse(s)
			if err != nil || u.Path != b.Path || u.Host != b.Host {
				return 0, false
			}
			q := u.Query()
			v, err := strconv.Atoi(q.Get(param))
			if err != nil || len(q[param]) != 1 {
				return 0, false
			}
			q.Set(param, strconv.Itoa(val))
			if q.Encode() != qb.Encode() { // other parameters must be the same
				return 0, false
			}
			return number(v)
		},
	}, true
}

// sameHost reports whether u is on host (host:port, case-insensitive).
func sameHost(u, host string) bool {
	p, err := url.Parse(u)
	return err == nil && strings.EqualFold(p.Host, host)
}
