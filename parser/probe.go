package parser

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/harvest-archive/harvest"
)

// Report is what each strategy finds on one listing page, for `harvest probe`.
type Report struct {
	URL        string
	Strategies []StrategyReport // the profile's first (unless it is auto), then auto's
}

// StrategyReport is what one strategy found.
type StrategyReport struct {
	Name    string              // the profile's name, or "auto"
	Page    harvest.ListingPage // records (Title, DateText, Date, Summary), Window, Next, Warnings
	Err     string              // the parse error, if any ("" when none)
	Refused []Refusal           // link groups or blocks considered and not taken, and why
}

// Refusal is a candidate the strategy did not take.
type Refusal struct {
	What string // e.g. a tag/class path and link count, or the block's first words
	Why  string // e.g. "2 links only", "no date and no results line", "inside nav"
}

// Probe runs p (when it is not auto) and auto on the page.
func Probe(body []byte, pageURL string, p Profile) Report {
	r := Report{URL: pageURL}
	if len(p.sels.records) > 0 && p.Name != "auto" {
		page, err := parseListing(body, pageURL, p, nil)
		sr := StrategyReport{Name: p.Name, Page: page, Err: errString(err)}
		for _, w := range page.Warnings {
			if strings.Contains(w, "skipped") {
				sr.Refused = append(sr.Refused, Refusal{What: w, Why: "record block skipped"})
			}
		}
		r.Strategies = append(r.Strategies, sr)
	}
	auto, _ := builtin["auto"].compile()
	col := &collector{}
	page, err := parseListing(body, pageURL, auto, col)
	r.Strategies = append(r.Strategies, StrategyReport{Name: "auto", Page: page, Err: errString(err), Refused: col.refused})
	return r
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// SuggestProfile writes a starting profile file (JSON, the format LoadProfile reads)
// from what auto found on the page: record block selector, title, date and summary
// selectors, next selector, document path pattern, page param when the next link shows one.
func SuggestProfile(body []byte, pageURL string, name string) ([]byte, error) {
	auto, _ := builtin["auto"].compile()
	col := &collector{}
	page, err := parseListing(body, pageURL, auto, col)
	if len(page.Records) == 0 {
		if err == nil {
			err = harvest.ErrNoRecords
		}
		return nil, fmt.Errorf("suggest profile: %w", err)
	}
	doc, perr := html.Parse(strings.NewReader(string(body)))
	if perr != nil {
		return nil, fmt.Errorf("suggest profile: %w", perr)
	}
	_ = doc
	prof := Profile{Name: name}
	if u, err := url.Parse(pageURL); err == nil && u.Host != "" {
		prof.Hosts = []string{strings.ToLower(u.Hostname())}
	}
	blocks, links := col.blocks, col.links
	root := topOf(blocks)
	if sel := blockSelector(root, blocks, links); sel != "" {
		prof.Records = []string{sel}
		prof.Title = relSelector(blocks, links)
		prof.Date = fieldSelector(blocks, page.Records, func(r harvest.Record) string { return r.DateText })
		prof.Summary = fieldSelector(blocks, page.Records, func(r harvest.Record) string { return r.Summary })
	}
	prof.DocumentPath = docPathPattern(page.Records)
	if page.Next != "" {
		prof.PageParam, prof.FirstPage = pageParam(pageURL, page.Next)
		prof.Next = nextSelector(root, pageURL, page.Next)
	}
	if _, err := prof.compile(); err != nil {
		return nil, fmt.Errorf("suggest profile: %w", err)
	}
	out, err := json.MarshalIndent(prof, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("suggest profile: %w", err)
	}
	return append(out, '\n'), nil
}

// topOf returns the root of the tree the nodes are in.
func topOf(nodes []*html.Node) *html.Node {
	if len(nodes) == 0 {
		return nil
	}
	n := nodes[0]
	for n.Parent != nil {
		n = n.Parent
	}
	return n
}

// simpleSel is a node's tag and its stable classes, e.g. "div.post".
func simpleSel(n *html.Node) string {
	part := n.Data
	if cls, ok := hasClassOrAttr(n, "class"); ok {
		var keep []string
		for _, f := range strings.Fields(cls) {
			if !unstableClass(f) && cssIdent(f) {
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

func cssIdent(s string) bool {
	for i, r := range s {
		if !(r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || (i > 0 && r >= '0' && r <= '9')) {
			return false
		}
	}
	return s != ""
}

// blockSelector finds a selector that matches exactly the record blocks:
// the blocks' own tag and classes, prefixed by their ancestors' until it does.
// A block that is the link itself is widened to the link's parent.
func blockSelector(root *html.Node, blocks, links []*html.Node) string {
	if root == nil || len(blocks) == 0 {
		return ""
	}
	bs := blocks
	sel := simpleSel(bs[0])
	anc := bs[0].Parent
	for range 6 {
		if matchesExactly(root, sel, bs) {
			return sel
		}
		if anc == nil || anc.Type != html.ElementNode || anc.DataAtom == atom.Html {
			break
		}
		sel = simpleSel(anc) + " > " + sel
		anc = anc.Parent
	}
	if matchesExactly(root, sel, bs) {
		return sel
	}
	return ""
}

func matchesExactly(root *html.Node, sel string, want []*html.Node) bool {
	c, err := cascadia.ParseGroup(sel)
	if err != nil {
		return false
	}
	got := cascadia.QueryAll(root, c)
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

// relSelector is the title link's selector inside its block: its parent's
// tag and classes and its own, when every block's first such link is its title.
func relSelector(blocks, links []*html.Node) string {
	cands := []string{}
	if p := links[0].Parent; p != nil && p != blocks[0] && p.Type == html.ElementNode {
		cands = append(cands, simpleSel(p)+" "+simpleSel(links[0]))
	}
	cands = append(cands, simpleSel(links[0]), "a")
	for _, sel := range cands {
		c, err := cascadia.ParseGroup(sel)
		if err != nil {
			continue
		}
		ok := true
		for i, b := range blocks {
			scope := b
			if b == links[i] {
				scope = b.Parent
			}
			if cascadia.Query(scope, c) != links[i] {
				ok = false
				break
			}
		}
		if ok {
			return sel
		}
	}
	return ""
}

// fieldSelector finds the element whose text is a record's field (the date,
// the summary) in each block, and returns a selector that finds it in all of
// them, or "" (then the profile reads the field by shape, as auto does).
func fieldSelector(blocks []*html.Node, recs []harvest.Record, field func(harvest.Record) string) string {
	var sel string
	for i, b := range blocks {
		if i >= len(recs) || field(recs[i]) == "" {
			continue
		}
		scope := b
		if b.Parent != nil && b.FirstChild != nil && b.DataAtom == atom.A {
			scope = b.Parent
		}
		n := smallestHolding(scope, field(recs[i]))
		if n == nil || n == scope {
			return ""
		}
		s := simpleSel(n)
		if n.DataAtom == atom.Time {
			s = "time"
		}
		if sel == "" {
			sel = s
		} else if sel != s {
			return ""
		}
	}
	if sel == "" || !strings.ContainsAny(sel, ".") && sel != "time" {
		return "" // a bare tag name is too loose
	}
	return sel
}

// smallestHolding returns the deepest element under n whose text holds s.
func smallestHolding(n *html.Node, s string) *html.Node {
	if !strings.Contains(nodeText(n, nil), s) {
		return nil
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if d := smallestHolding(c, s); d != nil {
			return d
		}
	}
	return n
}

// docPathPattern is the path prefix that every record URL shares, as a
// pattern, or "" when it is only "/".
func docPathPattern(recs []harvest.Record) string {
	prefix := ""
	for i, r := range recs {
		u, err := url.Parse(r.URL)
		if err != nil {
			return ""
		}
		dir := u.Path[:strings.LastIndexByte(u.Path, '/')+1]
		if i == 0 {
			prefix = dir
			continue
		}
		for !strings.HasPrefix(dir, prefix) {
			prefix = prefix[:strings.LastIndexByte(strings.TrimSuffix(prefix, "/"), '/')+1]
		}
	}
	if len(prefix) <= 1 {
		return ""
	}
	return "^" + regexpQuote(prefix)
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// pageParam finds the query parameter that numbers pages, from the page's
// URL and its next link, and the number of the first page.
func pageParam(pageURL, next string) (string, int) {
	cur, err1 := url.Parse(pageURL)
	nxt, err2 := url.Parse(next)
	if err1 != nil || err2 != nil {
		return "", 0
	}
	cq, nq := cur.Query(), nxt.Query()
	for k, vs := range nq {
		n, err := strconv.Atoi(vs[0])
		if err != nil {
			continue
		}
		if cv := cq.Get(k); cv == vs[0] {
			continue
		} else if cv == "" {
			return k, n - 1 // the page without it is the first
		} else if c, err := strconv.Atoi(cv); err == nil && n == c+1 {
			first := 0
			if c > 0 && n-1 > 0 && cq.Get(k) != "0" {
				first = 1
			}
			return k, first
		}
	}
	return "", 0
}

// nextSelector builds a selector for the pager link that leads to next.
func nextSelector(root *html.Node, pageURL, next string) string {
	if root == nil {
		return ""
	}
	base, err := url.Parse(pageURL)
	if err != nil {
		return ""
	}
	var cands []string
	for _, a := range cascadia.QueryAll(root, linkSel) {
		href, _ := hasClassOrAttr(a, "href")
		u, err := harvest.CanonicalURL(base, href)
		if err != nil || u != next {
			continue
		}
		if rel, _ := hasClassOrAttr(a, "rel"); strings.Contains(" "+rel+" ", " next ") {
			cands = append(cands, "a[rel~=next]")
		}
		if p := a.Parent; p != nil && p.Type == html.ElementNode && strings.Contains(simpleSel(p), ".") {
			cands = append(cands, simpleSel(p)+" > a")
		}
		if s := simpleSel(a); strings.Contains(s, ".") {
			cands = append(cands, s)
		}
	}
	// Take the first whose first match is the next link.
	for _, sel := range cands {
		c, err := cascadia.ParseGroup(sel)
		if err != nil {
			continue
		}
		if m := cascadia.Query(root, c); m != nil {
			href, _ := hasClassOrAttr(m, "href")
			if u, err := harvest.CanonicalURL(base, href); err == nil && u == next {
				return sel
			}
		}
	}
	return ""
}
