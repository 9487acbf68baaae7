package crawler

import (
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/harvest-archive/harvest"
)

// A broken pager is told from the listing's last page by what the page
// shows. No next link at all, or one marked disabled, is the end; so is a
// page whose results line says it holds the last records. A next link that
// is there but unusable — it points to the page itself, it is no page
// (javascript:, #), or it jumps far past the next page onto a page with
// nothing on it — is a pager that cannot be followed: the walk ends there,
// partial, naming the page and the problem, never as if complete.

// brokenNext returns what is wrong with the pager of a page that gave no
// usable next link (the parser's Next is ""), or "" when the page is the
// listing's end. body is the page (UTF-8), at the URL it was read at.
func brokenNext(body []byte, at string) string {
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return ""
	}
	base, err := url.Parse(at)
	if err != nil {
		return ""
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || (n.DataAtom != atom.A && n.DataAtom != atom.Link) || !looksNext(n) || disabled(n) {
			continue
		}
		href, ok := attr(n, "href")
		if !ok {
			continue // a next label that is no link: the end
		}
		h := strings.TrimSpace(href)
		low := strings.ToLower(h)
		switch {
		case h == "" || strings.HasPrefix(h, "#") || strings.HasPrefix(low, "javascript:"):
			return "next link is not a page: " + h
		}
		if self, err := listingURL(base, h); err == nil && self == at {
			return "next link points to the page itself"
		}
	}
	return ""
}

// looksNext reports whether a link is a pager's next link: by rel, by its
// class or its parent's, by its title or label, or by its text.
func looksNext(n *html.Node) bool {
	if rel, _ := attr(n, "rel"); hasWord(rel, "next") {
		return true
	}
	if n.DataAtom == atom.Link {
		return false
	}
	for _, m := range []*html.Node{n, n.Parent} {
		if m == nil {
			continue
		}
		if c, _ := attr(m, "class"); hasNextClass(c) {
			return true
		}
	}
	for _, k := range []string{"title", "aria-label"} {
		if v, _ := attr(n, k); strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "next") || strings.Contains(strings.ToLower(v), "next page") {
			return true
		}
	}
	t := strings.ToLower(strings.Trim(strings.TrimSpace(text(n)), "›»→> \u00a0"))
	return t == "next" || t == "next page"
}

// disabled reports whether a link, or the item it sits in, is marked
// disabled (a pager's next on its last page).
func disabled(n *html.Node) bool {
	for _, m := range []*html.Node{n, n.Parent} {
		if m == nil {
			continue
		}
		if c, _ := attr(m, "class"); hasWord(c, "disabled") || strings.Contains(c, "--disabled") {
			return true
		}
		if v, _ := attr(m, "aria-disabled"); v == "true" {
			return true
		}
		if _, ok := attr(m, "disabled"); ok {
			return true
		}
	}
	return false
}

func hasNextClass(c string) bool {
	for _, w := range strings.Fields(strings.ToLower(c)) {
		if w == "next" || strings.HasSuffix(w, "-next") || strings.HasSuffix(w, "_next") || strings.HasPrefix(w, "next-") || strings.HasPrefix(w, "next_") {
			return true
		}
	}
	return false
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(strings.ToLower(s)) {
		if f == w {
			return true
		}
	}
	return false
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val, true
		}
	}
	return "", false
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

// pageJump tells a next link that jumps far past the next page: from and
// next differ in one query parameter (see pageNumbers), and next's is more
// than a page further on (a page number goes up by 1, an offset by about the
// records on a page). It returns the two numbers when the jump is too far.
func pageJump(from, next string, records int) (a, b int, far bool) {
	a, b, ok := pageNumbers(from, next)
	return a, b, ok && b-a > max(2, records+1)
}

// pageNumbers returns the numbers of two pages of one listing that differ
// in one query parameter, a number in next and absent (0) or a number in from.
func pageNumbers(from, next string) (a, b int, ok bool) {
	fu, err1 := url.Parse(from)
	nu, err2 := url.Parse(next)
	if err1 != nil || err2 != nil || fu.Path != nu.Path {
		return 0, 0, false
	}
	fq, nq := fu.Query(), nu.Query()
	param := ""
	for k, v := range nq {
		if len(v) != 1 || (len(fq[k]) == 1 && fq[k][0] == v[0]) {
			continue
		}
		if param != "" {
			return 0, 0, false // more than the page number changes
		}
		param = k
	}
	if param == "" {
		return 0, 0, false
	}
	b, err := strconv.Atoi(nq.Get(param))
	if err != nil {
		return 0, 0, false
	}
	if s := fq.Get(param); s != "" {
		if a, err = strconv.Atoi(s); err != nil {
			return 0, 0, false
		}
	}
	return a, b, true
}

// farJump notes a next link of r that jumps far past the next page. Once
// pages are numbered and queued from the total, it is not followed (the
// pages it skips are queued anyway); else it is, and the page it leads to is
// judged when it comes (see judgeJump): a cursor may look like a jump.
func (c *crawl) farJump(r result, next string) bool {
	from := r.url
	if r.final != "" {
		from = r.final
	}
	a, b, far := pageJump(from, next, len(r.page.Records))
	if !far {
		return false
	}
	msg := fmt.Sprintf("%s: next link jumps from page %d to page %d", r.url, a, b)
	if c.pat != nil && c.pages > 0 {
		c.log.Warn(msg + "; not followed: the listing's pages are queued by number")
		return true
	}
	if c.jumps == nil {
		c.jumps = map[string]string{}
	}
	c.jumps[next] = msg
	return false
}

// notePagerEnd records a page with records that ends a walk following next
// links though it is not the listing's last: its next link is there but
// unusable (r.broken), or it has none while its results line states more.
func (c *crawl) notePagerEnd(r result) {
	if r.err != nil || r.page.Next != "" || len(r.page.Records) == 0 {
		return
	}
	msg := ""
	switch w := r.page.Window; {
	case r.broken != "":
		msg = fmt.Sprintf("%s: %s", r.url, r.broken)
	case c.pat == nil && c.probe == "" && c.sum.Mode == harvest.WalkFull && w.Total > w.Last && w.Last > 0:
		msg = fmt.Sprintf("%s: no next link, though the page states %d - %d of %d", r.url, w.First, w.Last, w.Total)
	default:
		return
	}
	if c.pat != nil && c.pages > 0 {
		c.log.Warn(msg + "; the listing's pages are queued by number")
		return
	}
	c.log.Warn(msg)
	c.problems = append(c.problems, msg)
}

// judgeJump: a page reached by a far jump that holds no records is a broken
// pager, not the listing's end.
func (c *crawl) judgeJump(r result) {
	msg, ok := c.jumps[r.url]
	if !ok {
		return
	}
	delete(c.jumps, r.url)
	if len(r.page.Records) == 0 {
		msg += ", which holds no records"
		c.log.Warn(msg)
		c.problems = append(c.problems, msg)
	}
}
