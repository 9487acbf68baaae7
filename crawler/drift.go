package crawler

import (
	"context"
	"errors"

	"github.com/harvest-archive/harvest"
)

// drift is what the walk saw of the listing moving under it: documents
// published or withdrawn while it ran shift records across pages.
type drift struct {
	shrank     bool // the listing's total fell during the walk
	totalMoved bool // the listing's total changed during the walk
	driftAt    int  // the page that first showed the change; -1: none known
}

// noteTotal follows the listing's stated total from page to page.
func (c *crawl) noteTotal(r result) {
	t := r.page.Window.Total
	if t <= 0 || c.notBorne > 0 {
		return
	}
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
		r := c.do(ctx, task{kind: kindListing, url: u})
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
		// As many pages as the total makes (or the walk met), and half
		// again for a listing that grew: a pager that never ends is cut.
		pages := max(c.pages, len(c.order))
		if c.perPage > 0 {
			pages = max(pages, (total+c.perPage-1)/c.perPage)
		}
		for u, k := c.start, 0; u != "" && k <= pages+pages/2+1 && !whole(); k++ {
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
