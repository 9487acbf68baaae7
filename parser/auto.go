package parser

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

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
func byShape(body *html.Node, base *url.URL, p Profile, hasPager bool, col *collector) []harvest.Record {
	groups := map[string][]*html.Node{}
	var order []string
	pos := map[*html.Node]int{}
	memo := &shapeMemo{chrome: map[*html.Node]bool{}, part: map[*html.Node]string{}}
	all := cascadia.QueryAll(body, linkSel)
	// A link whose text is only a date is most often a copy the HTML parser
	// made of an <a> left open, or a date linked to the record: another link
	// goes to the same place. Alone, it is a record number ("2015-03").
	worded := map[string]bool{}
	for _, a := range all {
		if href, _ := hasClassOrAttr(a, "href"); !isDateText(nodeText(a, nil)) {
			worded[href] = true
		}
	}
	for i, a := range all {
		pos[a] = i
		if !isDocLink(a, base, p) {
			continue
		}
		if href, _ := hasClassOrAttr(a, "href"); worded[href] && isDateText(nodeText(a, nil)) {
			continue
		}
		if why := outside(a, body, memo); why != "" {
			col.refuse(describe(a, body), why)
			continue
		}
		k := pathKey(a, body, memo)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], a)
	}
	order = mergeSiblingGroups(groups, order)
	parts := pageParts(body)
	var best []harvest.Record
	var bestLinks, bestBlocks []*html.Node
	bestScore, bestMulti, bestKey := 0.0, false, ""
	for _, k := range order {
		links := groups[k]
		recs, blocks := groupRecords(links, body, base, parts)
		score, dated, summaries := 0.0, false, 0
		// Distinct link texts, not titles: a group of links that all say
		// "PDF" is titled from its blocks, but is no better for it.
		titles := map[string]bool{}
		for _, a := range links {
			titles[nodeText(a, nil)] = true
		}
		for _, r := range recs {
			if r.DateText != "" {
				score += 2
				dated = true
			}
			if r.Summary != "" {
				score++
				summaries++
			}
		}
		what := groupName(k, len(links))
		switch {
		case len(recs) == 0:
			col.refuse(what, "no usable link")
			continue
		case !dated && !hasPager:
			col.refuse(what, "no date, and no pager or results line")
			continue
		case !dated && len(recs) < 3:
			col.refuse(what, fmt.Sprintf("no date and %d links only", len(recs)))
			continue
		case !dated:
			// An undated list with a pager: titles (and summaries) in
			// several blocks of one shape.
			score += 0.25 * float64(len(titles))
		}
		// A group whose links all say the same ("Read more") is not the titles.
		if len(recs) > 1 && len(titles) == 1 {
			score /= float64(len(recs))
		}
		multi := len(recs) > 1
		// Blocks of a one-link group climb far; trust them only when no group
		// of several links has anything.
		if (multi && !bestMulti) || (multi == bestMulti && score > bestScore) {
			if bestKey != "" {
				col.refuse(groupName(bestKey, len(bestLinks)), "a better group was found")
			}
			best, bestScore, bestMulti, bestKey = recs, score, multi, k
			bestLinks, bestBlocks = links, blocks
		} else {
			col.refuse(what, fmt.Sprintf("scored %.1f (dates, summaries), below the group taken", score))
		}
	}
	if col != nil {
		col.links, col.blocks = bestLinks, bestBlocks
	}
	return best
}

// mergeSiblingGroups joins groups of links whose paths differ only in the
// classes of the record element, when their records are siblings in one
// container: a list whose items carry per-record or state classes
// ("featured", "hidden") is one list. It returns the new order of keys.
func mergeSiblingGroups(groups map[string][]*html.Node, order []string) []string {
	var out []string
	byTags := map[string]string{} // tag-only path -> first group's key
	for _, k := range order {
		tk := tagsOnly(k)
		first, ok := byTags[tk]
		if !ok {
			byTags[tk] = k
			out = append(out, k)
			continue
		}
		if oneContainer(groups[first], groups[k]) {
			groups[first] = append(groups[first], groups[k]...)
			sortByPosition(groups[first])
			delete(groups, k)
			continue
		}
		out = append(out, k)
	}
	return out
}

func tagsOnly(key string) string {
	parts := strings.Split(key, "<")
	for i, p := range parts {
		parts[i], _, _ = strings.Cut(p, ".")
	}
	return strings.Join(parts, "<")
}

// oneContainer reports whether the links of two groups (of equal tag paths)
// stand in records that are all siblings in one container: the level where
// their classes differ is the record, and its parent is the same for all.
func oneContainer(g1, g2 []*html.Node) bool {
	depth := 0
	a, b := g1[0], g2[0]
	for ; a != nil && b != nil; a, b, depth = a.Parent, b.Parent, depth+1 {
		ca, _ := hasClassOrAttr(a, "class")
		cb, _ := hasClassOrAttr(b, "class")
		if ca != cb {
			break
		}
	}
	if a == nil || b == nil || a.Parent == nil {
		return false
	}
	container := a.Parent
	for _, g := range [][]*html.Node{g1, g2} {
		for _, l := range g {
			c := l
			for range depth + 1 {
				if c = c.Parent; c == nil {
					return false
				}
			}
			if c != container {
				return false
			}
		}
	}
	return true
}

// sortByPosition puts nodes back in document order.
func sortByPosition(nodes []*html.Node) {
	index := map[*html.Node]int{}
	i := 0
	var top *html.Node
	for top = nodes[0]; top.Parent != nil; top = top.Parent {
	}
	for n := range top.Descendants() {
		index[n] = i
		i++
	}
	sort.SliceStable(nodes, func(x, y int) bool { return index[nodes[x]] < index[nodes[y]] })
}

// collector records, for a probe, what the auto strategy considered and
// refused, and the blocks of the group it took. It is nil in normal parses.
type collector struct {
	refused       []Refusal
	links, blocks []*html.Node
}

func (c *collector) refuse(what, why string) {
	if c != nil {
		c.refused = append(c.refused, Refusal{What: what, Why: why})
	}
}

// groupName describes a group of links by the end of its path.
func groupName(key string, n int) string {
	parts := strings.Split(key, "<")
	if len(parts) > 4 {
		parts = parts[:4]
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return fmt.Sprintf("%s (%d links)", strings.Join(parts, " > "), n)
}

// describe names one link for a refusal: its text's first words.
func describe(a, body *html.Node) string {
	return fmt.Sprintf("link %q", snippet(nodeText(a, nil)))
}

// outside tells why a link is page chrome — in navigation, the page's
// header or footer, a form, a sidebar — or returns "". A <header> inside a
// record (an article, a list item, a cell) is the record's own, not chrome.
func outside(a, body *html.Node, m *shapeMemo) string {
	for n := a.Parent; n != nil && n != body; n = n.Parent {
		if !m.isChrome(n) {
			continue
		}
		if n.DataAtom == atom.Header && insideRecord(n, body) {
			continue
		}
		return "inside " + n.Data
	}
	return ""
}

// insideRecord reports whether n has an article, list item or cell above it.
func insideRecord(n, body *html.Node) bool {
	for c := n.Parent; c != nil && c != body; c = c.Parent {
		switch c.DataAtom {
		case atom.Article, atom.Li, atom.Td, atom.Dd:
			return true
		}
	}
	return false
}

// pathKey is the chain of tag names and stable class names from body to n,
// a run of one classed element nested in itself counted once.
func pathKey(n, body *html.Node, m *shapeMemo) string {
	var parts []string
	for c := n; c != nil && c != body; c = c.Parent {
		if c.Type != html.ElementNode {
			continue
		}
		part := m.keyPart(c)
		// A record left open holds the records after it (div.row inside
		// div.row): the records it swallowed stand in the same list.
		if n := len(parts); n > 0 && parts[n-1] == part && strings.Contains(part, ".") {
			continue
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "<")
}

// keyPart is an element's part of a pathKey: its tag name and stable classes.
func keyPart(c *html.Node) string {
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
	return part
}

// shapeMemo keeps, for one byShape pass, what the ancestors that the
// page's links share gave: whether each is page chrome, and its part of a
// path key. A nil memo keeps nothing.
type shapeMemo struct {
	chrome map[*html.Node]bool
	part   map[*html.Node]string
}

func (m *shapeMemo) isChrome(n *html.Node) bool {
	if m == nil {
		return outsideSel.Match(n)
	}
	is, ok := m.chrome[n]
	if !ok {
		is = outsideSel.Match(n)
		m.chrome[n] = is
	}
	return is
}

func (m *shapeMemo) keyPart(c *html.Node) string {
	if m == nil {
		return keyPart(c)
	}
	part, ok := m.part[c]
	if !ok {
		part = keyPart(c)
		m.part[c] = part
	}
	return part
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
	// WordPress and the like tag each record with its own taxonomy, type,
	// state and format.
	for _, prefix := range []string{"category-", "tag-", "type-", "status-", "format-", "post-", "postid-", "author-", "has-", "is-", "sticky", "hentry", "entry-"} {
		if strings.HasPrefix(c, prefix) && !strings.HasPrefix(c, "entry-title") {
			return true
		}
	}
	return c == "contextual-region"
}

// groupRecords reads one record per link of a group.
// parts marks the elements that hold a part of the page (see pageParts).
func groupRecords(links []*html.Node, body *html.Node, base *url.URL, parts map[*html.Node]bool) ([]harvest.Record, []*html.Node) {
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
	var kept []*html.Node
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
		if poorTitle(rec.Title) {
			// The link is a number or a file ("23-1701P.01A", "PDF"): the
			// title is the record's first line of words, beside it or after it.
			from := segs
			if len(segs) == 0 {
				from = siblingSegs(blocks[i], under, true)
			}
			if j := titleSeg(from); j >= 0 {
				rec.Title = from[j].text
				if len(segs) > 0 {
					segs = append(segs[:j:j], segs[j+1:]...)
				}
			}
		}
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
		kept = append(kept, blocks[i])
	}
	return recs, kept
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

// genericLinkWords are link texts that name a file or an action, not a record.
var genericLinkWords = map[string]bool{
	"pdf": true, "doc": true, "docx": true, "html": true, "txt": true, "view": true, "download": true,
	"view/download": true, "view pdf": true, "download pdf": true, "details": true, "full text": true,
	"opinion": true, "document": true, "file": true, "link": true, "open": true,
}

// poorTitle reports whether a link's text names no record: a generic word
// ("PDF", "view/download") or a number or code with no word beside it
// ("23-1701P.01A", "2026 TSPR 10", "No. 12"); "Kommunalwahlen 2013" and
// "KOENIG v. LONDON, 2021 S.D. 69" are titles.
func poorTitle(s string) bool {
	if genericLinkWords[strings.ToLower(strings.Trim(s, "[]() "))] {
		return true
	}
	words, digits := 0, false
	for _, f := range strings.Fields(s) {
		letters, digit, lower := 0, false, false
		for _, r := range f {
			switch {
			case unicode.IsLetter(r):
				letters++
				lower = lower || unicode.IsLower(r)
			case unicode.IsDigit(r):
				digit = true
			}
		}
		switch {
		case digit:
			digits = true
		case numberLabels[strings.ToLower(strings.TrimRight(f, ".:"))]:
		case letters >= 2 && lower, letters >= 5:
			words++ // a word, not a label or an abbreviation ("TSPR")
		}
	}
	return digits && words == 0
}

// numberLabels stand before a record's number: "No. 12", "Núm. 5".
var numberLabels = map[string]bool{"no": true, "nos": true, "nr": true, "num": true, "núm": true, "number": true, "case": true, "docket": true, "vol": true, "op": true}

// titleSeg returns the index of the first segment that reads as a title
// (words, no date, no byline, not a code), or -1.
func titleSeg(segs []segment) int {
	for j, s := range segs {
		if len(s.text) > 300 || poorTitle(s.text) || dateLine(s.text) != "" || metaLine(s.text) {
			continue
		}
		words := 0
		for _, f := range strings.Fields(s.text) {
			if len(f) > 1 && unicode.IsLetter([]rune(f)[0]) {
				words++
			}
		}
		if words >= 2 {
			return j
		}
	}
	return -1
}
