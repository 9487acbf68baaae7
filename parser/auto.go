package parser

import (
	"net/url"
	"sort"
	"strings"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"github.com/harvest-archive/harvest"
)

// byShape is the auto strategy. It knows no class names. It groups the
// page's content links by their place in the tree (the chain of tags and
// classes above them): the links of a result list stand in parallel places.
// For each group it takes each link's block — the largest element around it
// that holds no other link of the group — and reads a date-like line and a
// summary from the block, or, when the block is the title alone, from its
// siblings. The group whose blocks have the most dates and summaries wins.
//
// Without a date in any block, a group counts only on a page that has a
// results line: links with a sentence beside them are otherwise too common.
func byShape(body *html.Node, base *url.URL, p Profile, hasWindow bool) []harvest.Record {
	groups := map[string][]*html.Node{}
	var order []string
	for _, a := range cascadia.QueryAll(body, linkSel) {
		// A link whose text is only a date is most often a copy the HTML
		// parser made of an <a> left open: no title.
		if outside(a, body) || !isDocLink(a, base, p) || isDateText(nodeText(a, nil)) {
			continue
		}
		k := pathKey(a, body)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], a)
	}
	parts := pageParts(body)
	var best []harvest.Record
	bestScore, bestMulti := 0.0, false
	for _, k := range order {
		links := groups[k]
		recs := groupRecords(links, body, base, parts)
		score, dated := 0.0, false
		titles := map[string]bool{}
		for _, r := range recs {
			titles[r.Title] = true
			if r.DateText != "" {
				score += 2
				dated = true
			}
			if r.Summary != "" {
				score++
			}
		}
		if len(recs) == 0 || score == 0 || (!dated && !hasWindow) {
			continue
		}
		// A group whose links all say the same ("Read more") is not the titles.
		if len(recs) > 1 && len(titles) == 1 {
			score /= float64(len(recs))
		}
		multi := len(recs) > 1
		// Blocks of a one-link group climb far; trust them only when no group
		// of several links has anything.
		if (multi && !bestMulti) || (multi == bestMulti && score > bestScore) {
			best, bestScore, bestMulti = recs, score, multi
		}
	}
	return best
}

// outside reports whether a link sits in navigation, header, footer or a form.
func outside(a, body *html.Node) bool {
	for n := a.Parent; n != nil && n != body; n = n.Parent {
		if outsideSel.Match(n) {
			return true
		}
	}
	return false
}

// pathKey is the chain of tag names and stable class names from body to n.
func pathKey(n, body *html.Node) string {
	var parts []string
	for c := n; c != nil && c != body; c = c.Parent {
		if c.Type != html.ElementNode {
			continue
		}
		part := c.Data
		if cls, ok := hasClassOrAttr(c, "class"); ok {
			var keep []string
			for _, f := range strings.Fields(cls) {
				if !unstableClass(f) {
					keep = append(keep, f)
				}
			}
			sort.Strings(keep)
			if len(keep) > 0 {
				part += "." + strings.Join(keep, ".")
			}
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "<")
}

// unstableClass tells classes that differ between parallel items (row
// numbers, zebra striping, first/last, state).
func unstableClass(c string) bool {
	if strings.ContainsAny(c, "0123456789") {
		return true
	}
	c = strings.ToLower(c)
	for _, suffix := range []string{"odd", "even", "first", "last", "active", "selected", "current"} {
		if strings.HasSuffix(c, suffix) {
			return true
		}
	}
	return c == "contextual-region"
}

// groupRecords reads one record per link of a group.
// parts marks the elements that hold a part of the page (see pageParts).
func groupRecords(links []*html.Node, body *html.Node, base *url.URL, parts map[*html.Node]bool) []harvest.Record {
	under := map[*html.Node]int{} // how many of the group's links each element holds
	for _, a := range links {
		for c := a; c != nil; c = c.Parent {
			under[c]++
		}
	}
	blocks := make([]*html.Node, len(links))
	for i, a := range links {
		b := a
		for b.Parent != nil && b.Parent != body && under[b.Parent] == 1 && !(len(links) == 1 && parts[b.Parent]) {
			b = b.Parent
		}
		blocks[i] = b
	}
	// In a flat list (date, title, summary as siblings) a block is the title
	// alone; is the date then before the title, or after it?
	dateBefore := false
	if len(blocks) > 0 {
		d, _ := firstDate(siblingSegs(blocks[0], under, false), true)
		dateBefore = d != ""
	}

	var recs []harvest.Record
	for i, a := range links {
		href, _ := hasClassOrAttr(a, "href")
		u, err := harvest.CanonicalURL(base, href)
		if err != nil {
			continue
		}
		// A link that wraps a whole card (title, date, summary in blocks of
		// their own) is titled by its first line that is not a date.
		linkSegs := segments(a, nil)
		rec := harvest.Record{URL: u, Title: nodeText(a, nil)}
		var inLink []segment
		if len(linkSegs) > 1 {
			for j, s := range linkSegs {
				if dateLine(s.text) == "" {
					rec.Title = s.text
					inLink = append(append(inLink, linkSegs[:j]...), linkSegs[j+1:]...)
					break
				}
			}
		}
		segs := append(inLink, segments(blocks[i], map[*html.Node]bool{a: true})...)
		norm := ""
		if len(segs) > 0 {
			rec.DateText, rec.Summary, norm = shapeFields(segs)
		} else {
			next := siblingSegs(blocks[i], under, true)
			var rest []segment
			for _, s := range next {
				if dateLine(s.text) == "" {
					rest = append(rest, s)
				}
			}
			if dateBefore {
				rec.DateText, norm = firstDate(siblingSegs(blocks[i], under, false), true)
			} else {
				rec.DateText, norm = firstDate(next, false)
			}
			_, rec.Summary, _ = shapeFields(rest)
		}
		rec.Date = norm
		if rec.Date == "" {
			rec.Date, _ = displayedDate(rec.DateText)
		}
		recs = append(recs, rec)
	}
	return recs
}

// siblingSegs returns the text segments of the siblings after (forward) or
// before the block, up to the next sibling that holds a link of the group.
func siblingSegs(b *html.Node, under map[*html.Node]int, forward bool) []segment {
	var out []segment
	step := func(n *html.Node) *html.Node {
		if forward {
			return n.NextSibling
		}
		return n.PrevSibling
	}
	for s := step(b); s != nil && under[s] == 0; s = step(s) {
		segs := segments(s, nil)
		if forward {
			out = append(out, segs...)
		} else {
			out = append(segs, out...)
		}
	}
	return out
}

// firstDate returns the first (or, with last, the last) date-like segment,
// and its normalised form when a <time datetime> gives it.
func firstDate(segs []segment, last bool) (date, norm string) {
	for _, s := range segs {
		if t := dateLine(s.text); t != "" {
			if !last {
				return t, timeAttr(s.node)
			}
			date, norm = t, timeAttr(s.node)
		}
	}
	return date, norm
}

// isDateText reports whether a link's text is only a date.
func isDateText(s string) bool {
	return s != "" && dateLine(s) == s
}

var pagePartsSel = mustGroup("nav, form, h1, header, footer, .pager, .pagination")

// pageParts marks every element that holds the page's heading, navigation or
// forms: such an element is more than one record.
func pageParts(body *html.Node) map[*html.Node]bool {
	marked := map[*html.Node]bool{}
	for _, n := range cascadia.QueryAll(body, pagePartsSel) {
		for c := n.Parent; c != nil && !marked[c]; c = c.Parent {
			marked[c] = true
		}
	}
	return marked
}
