// Package parser turns the HTML of archive pages into records. It knows
// nothing of HTTP or SQL: it takes bytes and a page URL and returns the types
// of package harvest.
//
// A listing page is read with a Profile's selectors when they find records,
// and otherwise by the auto strategy, which finds the repeated blocks of a
// link to a document, a date-like line and a paragraph by their shape.
package parser

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/harvest-archive/harvest"
)

// ParseListing extracts the records, the results window and the next-page link
// of one listing page. body must be UTF-8 (see DecodeHTML).
//
// It returns the page together with an error wrapping harvest.ErrChallenge when
// the page is a bot challenge, or harvest.ErrNoRecords when a page that does not
// say it is empty yields no record; the page's Next and Window are filled even
// then, so a crawl can go on.
func ParseListing(body []byte, pageURL string, p Profile) (harvest.ListingPage, error) {
	return parseListing(body, pageURL, p, nil)
}

// parseListing is ParseListing with an optional collector of what auto
// refused (see Probe).
func parseListing(body []byte, pageURL string, p Profile, col *collector) (harvest.ListingPage, error) {
	page := harvest.ListingPage{URL: pageURL}
	base, err := url.Parse(pageURL)
	if err != nil {
		return page, fmt.Errorf("listing %s: %w", pageURL, err)
	}
	pageBase := base // the page's own URL, whose query paging keeps
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return page, fmt.Errorf("listing %s: parse html: %w", pageURL, err)
	}
	root := doc.Get(0)
	base, bodyNode := baseAndBody(root, base)
	text := nodeText(bodyNode, nil)
	page.Window = parseWindow(text)
	page.Next = findNext(root, base, pageBase, page.Window, p)

	// How many records the results line says this page holds.
	expect := 0
	if w := page.Window; w.First > 0 && w.Last >= w.First {
		expect = w.Last - w.First + 1
	}
	if len(p.sels.records) > 0 {
		recs, warns := byProfile(root, base, p)
		page.Warnings = append(page.Warnings, warns...)
		switch {
		case len(recs) > 0 && (expect == 0 || len(recs) == expect):
			page.Records, page.Strategy = recs, "profile"
		case len(recs) > 0:
			// The profile's selectors may have met some other list (a
			// sidebar, related documents): ask the shape too.
			if auto := byShape(bodyNode, base, p, true, nil); len(auto) == expect {
				page.Warnings = append(page.Warnings, fmt.Sprintf("%s: profile %q found %d records where the page states %d; auto found %d: using auto", pageURL, p.Name, len(recs), expect, len(auto)))
				page.Records, page.Strategy = auto, "auto"
			} else {
				page.Records, page.Strategy = recs, "profile"
			}
		case text != "":
			page.Warnings = append(page.Warnings, fmt.Sprintf("%s: profile %q found no records; falling back to auto", pageURL, p.Name))
		}
	}
	if page.Strategy == "" {
		page.Records, page.Strategy = byShape(bodyNode, base, p, page.Window.Total > 0 || page.Next != "", col), "auto"
	}
	fillDates(page.Records)
	for i := range page.Records {
		page.Records[i].ListingURL = pageURL
	}
	page.Records = dedupe(page.Records, &page.Warnings, pageURL)
	if len(page.Records) > 0 {
		if expect > 0 && len(page.Records) != expect {
			page.Warnings = append(page.Warnings, fmt.Sprintf("%s: found %d records where the page states %d (%s)", pageURL, len(page.Records), expect, page.Strategy))
		}
		return page, nil
	}
	if IsChallenge(body) {
		return page, fmt.Errorf("%s: %w", pageURL, harvest.ErrChallenge)
	}
	if saysEmpty(page.Window, bodyNode) {
		return page, nil
	}
	return page, fmt.Errorf("%s: %w", pageURL, harvest.ErrNoRecords)
}

var (
	bodySel    = cascadia.MustCompile("body")
	baseSel    = cascadia.MustCompile("head base[href]")
	linkSel    = mustGroup("a[href]")
	outsideSel = cascadia.MustCompile(`nav, header, footer, form, aside, [role=navigation], [role=banner], [role=contentinfo], .pager, .pagination, .breadcrumb, .facets, .menu`)
	pagerSel   = mustGroup(`nav, [role=navigation], .pager, .pagination, .pages, .page-numbers, ul.pager__items`)
	nextSel    = cascadia.MustCompile(`link[rel~=next][href], a[rel~=next][href], li.pager__item--next a[href], li.pager-next a[href], li.next a[href], a.next[href], .pagination .next a[href], a[aria-label="Next page"][href], a[title="Go to next page"][href]`)
	windowRe   = regexp.MustCompile(`(?i)(\d[\d,.]*)\s*(?:-|–|—|to)\s*(\d[\d,.]*)\s+of\s+(?:about\s+|approximately\s+)?(\d[\d,.]*)`)
	thousands  = strings.NewReplacer(",", "", ".", "")
	emptyRe    = regexp.MustCompile(`(?i)\b(no results|no documents found|no records found|nothing found|no matches|0 results|your search yielded no results)\b`)
)

// parseWindow reads the "X - Y of T" results line.
func parseWindow(text string) harvest.Window {
	m := windowRe.FindStringSubmatch(text)
	if m == nil {
		return harvest.Window{}
	}
	num := func(s string) int {
		n, _ := strconv.Atoi(thousands.Replace(s))
		return n
	}
	w := harvest.Window{First: num(m[1]), Last: num(m[2]), Total: num(m[3])}
	if w.First > w.Last || w.Last > w.Total {
		return harvest.Window{}
	}
	return w
}

// saysEmpty reports whether the page says it has no results: in a short
// block of its own (a results message), not somewhere in a record's text.
func saysEmpty(w harvest.Window, body *html.Node) bool {
	if w != (harvest.Window{}) {
		return false
	}
	for _, s := range segments(body, nil) {
		if len(s.text) <= 200 && emptyRe.MatchString(s.text) {
			return true
		}
	}
	return false
}

// findNext returns the absolute URL of the pager's next page, with any query
// parameter of the current page that the link lost put back, or "". It tries
// the profile's selector, then the common pager markups, then links whose
// text says "next".
func findNext(root *html.Node, base, page *url.URL, w harvest.Window, p Profile) string {
	current, _ := harvest.CanonicalURL(nil, page.String())
	// The first of root's nodes that m matches and that is a next link,
	// as try(cascadia.QueryAll(root, m)) finds it, without the rest.
	tryFirst := func(m cascadia.Matcher) string {
		u := ""
		firstMatch(root, m, nil, func(n *html.Node) bool {
			u = nextURL(n, base, page, current, p)
			return u != ""
		})
		return u
	}
	try := func(cands []*html.Node) string {
		for _, n := range cands {
			if u := nextURL(n, base, page, current, p); u != "" {
				return u
			}
		}
		return ""
	}
	if len(p.sels.next) > 0 {
		if u := tryFirst(p.sels.next); u != "" {
			return u
		}
	}
	if u := tryFirst(nextSel); u != "" {
		return u
	}
	// A link that says "next"; else, in a pager of numbers only, the link to
	// the page after this one (known from the results line).
	want := ""
	if w.First > 0 && w.Last >= w.First && w.Last < w.Total {
		want = strconv.Itoa((w.First-1)/(w.Last-w.First+1) + 2)
	}
	var byText, byNumber []*html.Node
	var arrows []*html.Node
	for _, a := range cascadia.QueryAll(root, linkSel) {
		t := strings.ToLower(nodeText(a, nil))
		switch {
		case nextWord(t) || nextWord(attrLower(a, "aria-label")) || nextWord(attrLower(a, "title")):
			byText = append(byText, a)
		case t == want && want != "":
			if insidePager(a) {
				byNumber = append(byNumber, a)
			}
		case (t == "»" || t == ">" || t == ">>") && insidePager(a):
			arrows = append(arrows, a) // most often next, sometimes last
		}
	}
	byText = append(byText, arrows...)
	if u := try(byText); u != "" {
		return u
	}
	return try(byNumber)
}

// nextWords are the labels of a next link, in lower case, arrows trimmed.
var nextWords = map[string]bool{
	"next": true, "next page": true, "next entries": true, "next posts": true, "older posts": true, "older entries": true,
	"suivant": true, "suivante": true, "page suivante": true, "weiter": true, "nächste": true, "nächste seite": true, "vor": true,
	"siguiente": true, "página siguiente": true, "successivo": true, "successiva": true, "pagina successiva": true, "avanti": true,
	"próxima": true, "proxima": true, "próximo": true, "seguinte": true, "volgende": true, "następna": true, "dalej": true,
	"далее": true, "следующая": true, "след": true, "след.": true, "вперед": true, "вперёд": true, "następna strona": true,
	"下一页": true, "下一頁": true, "下页": true, "次へ": true, "次のページ": true, "다음": true, "sonraki": true, "→": true, "›": true,
}

// nextWord reports whether a link's label says "next" (arrows and
// punctuation around it aside).
func nextWord(s string) bool {
	if s == "" {
		return false
	}
	if nextWords[s] {
		return true
	}
	t := strings.TrimSpace(strings.Trim(s, "›»→>< \u00a0\t\n.:|-–—«‹←"))
	return t != "" && nextWords[t]
}

func attrLower(n *html.Node, key string) string {
	v, _ := hasClassOrAttr(n, key)
	return strings.ToLower(collapseSpace(v))
}

// insidePager reports whether a link sits in navigation or a list of page links.
func insidePager(a *html.Node) bool {
	for n := a.Parent; n != nil; n = n.Parent {
		if pagerSel.Match(n) {
			return true
		}
	}
	return false
}

// nextURL resolves a next link, or returns "" when it is no page link.
func nextURL(n *html.Node, base, page *url.URL, current string, p Profile) string {
	href, _ := hasClassOrAttr(n, "href")
	if href == "" || strings.HasPrefix(href, "#") || strings.HasPrefix(strings.ToLower(href), "javascript:") {
		return ""
	}
	next, err := harvest.CanonicalURL(base, href)
	if err != nil {
		return ""
	}
	u, _ := url.Parse(next)
	q, bq := u.Query(), page.Query()
	added := false
	for k, v := range bq {
		if u.Path != page.Path {
			break // another listing: its own parameters
		}
		if _, ok := q[k]; !ok && k != p.PageParam {
			q[k] = v
			added = true
		}
	}
	if added {
		u.RawQuery = q.Encode()
		next = u.String()
	}
	if next == current {
		return ""
	}
	return next
}

// byProfile finds records with the profile's selectors.
func byProfile(root *html.Node, base *url.URL, p Profile) ([]harvest.Record, []string) {
	for _, sel := range p.sels.records {
		blocks := cascadia.QueryAll(root, sel)
		if len(blocks) == 0 {
			continue
		}
		blocks, links := widen(blocks, base, p)
		var recs []harvest.Record
		var warns []string
		for i, b := range blocks {
			// A block left open swallows the blocks after it: leave them out of it.
			skip := map[*html.Node]bool{}
			for _, other := range blocks {
				if other != b && contains(b, other) {
					skip[other] = true
				}
			}
			link := links[i] // found in b alone, with nothing skipped
			if link == nil || len(skip) > 0 {
				link = titleLink(b, skip, base, p)
			}
			if link == nil {
				warns = append(warns, fmt.Sprintf("%s: record block %d (%q) has no link to a document; skipped", base, i+1, snippet(nodeText(b, skip))))
				continue
			}
			rec, ok := extract(b, link, skip, base, p)
			if !ok {
				warns = append(warns, fmt.Sprintf("%s: record block %d has an unusable link; skipped", base, i+1))
				continue
			}
			recs = append(recs, rec)
		}
		return recs, warns
	}
	return nil, nil
}

// widen replaces each block that holds only its title link (a title cell of
// a table row, say) by its nearest ancestor that holds no other block — the
// table row, the list item — so that the record's date and summary beside
// the title are read, not silently dropped.
//
// It returns, for each block it left as it was, the block's title link
// (titleLink with nothing skipped), so that byProfile need not look again.
func widen(blocks []*html.Node, base *url.URL, p Profile) (out, links []*html.Node) {
	under := map[*html.Node]int{}
	for _, b := range blocks {
		for c := b.Parent; c != nil; c = c.Parent {
			under[c]++
		}
	}
	out = make([]*html.Node, len(blocks))
	links = make([]*html.Node, len(blocks))
	for i, b := range blocks {
		out[i] = b
		link := titleLink(b, nil, base, p)
		if link == nil {
			continue
		}
		justLink := map[*html.Node]bool{link: true}
		if hasText(b, justLink) {
			links[i] = link
			continue
		}
		for c := b.Parent; c != nil && under[c] == 1 && c.Type == html.ElementNode; c = c.Parent {
			if c.DataAtom == atom.Body || c.DataAtom == atom.Table || c.DataAtom == atom.Tbody || c.DataAtom == atom.Ul || c.DataAtom == atom.Ol || c.DataAtom == atom.Main {
				break
			}
			out[i] = c
			if hasText(c, justLink) {
				break
			}
		}
		if out[i] == b {
			links[i] = link
		}
	}
	return out, links
}

// titleLink finds a block's link to its document: by the profile's title
// selector, else any document link. A link whose text is only a date is taken
// last: it is most often a copy of an earlier link that the HTML parser made
// to repair an <a> left open.
func titleLink(b *html.Node, skip map[*html.Node]bool, base *url.URL, p Profile) *html.Node {
	if b.DataAtom == atom.A && isDocLink(b, base, p) && (len(p.sels.title) == 0 || p.sels.title.Match(b)) {
		return b // a card wrapped in its link
	}
	for _, sel := range []cascadia.SelectorGroup{p.sels.title, linkSel} {
		var dated *html.Node
		link := firstIn(b, sel, skip, func(n *html.Node) bool {
			if !isDocLink(n, base, p) {
				return false
			}
			if t := nodeText(n, nil); dateLine(t) == t {
				if dated == nil {
					dated = n
				}
				return false
			}
			return true
		})
		if link != nil {
			return link
		}
		if dated != nil {
			return dated
		}
	}
	return nil
}

// extract reads one record from its block, given the block's title link.
func extract(block, link *html.Node, skip map[*html.Node]bool, base *url.URL, p Profile) (harvest.Record, bool) {
	href, _ := hasClassOrAttr(link, "href")
	u, err := harvest.CanonicalURL(base, href)
	if err != nil {
		return harvest.Record{}, false
	}
	// A link that wraps blocks (a card, or an <a> left open) is titled by its
	// first line; its other lines may hold the date and summary.
	linkSegs := segments(link, skip)
	if len(linkSegs) == 0 {
		return harvest.Record{}, false
	}
	rec := harvest.Record{URL: u, Title: linkSegs[0].text}
	for j, s := range linkSegs {
		if len(linkSegs) > 1 && dateLine(s.text) == "" {
			rec.Title = s.text
			linkSegs = append(append([]segment{linkSegs[0]}, linkSegs[:j]...), linkSegs[j+1:]...)
			break
		}
	}
	inner := map[*html.Node]bool{link: true}
	for n := range skip {
		inner[n] = true
	}
	norm := ""
	if d := firstIn(block, p.sels.date, skip, nil); d != nil {
		dt := nodeText(d, inner)
		rec.DateText = dateLine(dt)
		if rec.DateText == "" {
			rec.DateText = stripLabel(dt)
		}
		norm = timeAttr(d)
		inner[d] = true
	}
	if s := firstIn(block, p.sels.summry, skip, nil); s != nil {
		delete(inner, link)
		rec.Summary = nodeText(s, inner)
		inner[s], inner[link] = true, true
	}
	if rec.DateText == "" || rec.Summary == "" {
		date, summary, n := shapeFields(append(linkSegs[1:], segments(block, inner)...))
		if rec.DateText == "" {
			rec.DateText, norm = date, n
		}
		if rec.Summary == "" {
			rec.Summary = summary
		}
	}
	rec.Date = norm
	if rec.Date == "" {
		rec.Date, _ = displayedDate(rec.DateText)
	}
	return rec, true
}

// shapeFields picks the date (the first date-like line), its normalised form
// when a <time datetime> gives it, and the summary (the descriptive
// paragraphs, or else the longest line of several words, leaving out byline
// and meta lines) from a block's text.
func shapeFields(segs []segment) (date, summary, norm string) {
	var paras []string
	longest := ""
	for _, s := range segs {
		if date == "" {
			if d := dateLine(s.text); d != "" {
				date, norm = d, timeAttr(s.node)
				if d == s.text || len(s.text)-len(d) < 25 {
					continue
				}
			}
		}
		if metaLine(s.text) {
			continue
		}
		if s.node != nil && s.node.DataAtom == atom.P {
			paras = append(paras, s.text)
		}
		if len(s.text) > len(longest) && atLeastWords(s.text, 3) {
			longest = s.text
		}
	}
	if len(paras) > 0 {
		return date, strings.Join(paras, " "), norm
	}
	return date, longest, norm
}

// timeAttr returns the normalised datetime attribute of a <time> element (n
// itself or the first inside it), or "".
func timeAttr(n *html.Node) string {
	if n == nil {
		return ""
	}
	t := n
	if n.DataAtom != atom.Time {
		t = cascadia.Query(n, timeSel)
	}
	if t == nil {
		return ""
	}
	v, _ := hasClassOrAttr(t, "datetime")
	return NormalizeDate(v)
}

var (
	timeSel    = cascadia.MustCompile("time[datetime]")
	dateSepRe  = regexp.MustCompile(`\s+(?:\||/|·|•)\s+`)
	metaLineRe = regexp.MustCompile(`(?i)^(?:(?:posted|published|written|filed|veröffentlicht|publié|pubblicato|publicado)\b.{0,80}|by\s.{1,60}|von\s.{1,40}|par\s.{1,40}|\d+\s*(?:comments?|kommentare?|commentaires?|commenti|comentarios?|replies|responses|views)|(?:no|leave a|\d+) comments?|comments?\s*(?:\(\d+\)|:?\s*\d+)|(?:tags?|categories|category|kategorie|schlagworte)\s*:.{0,120}|(?:read more|continue reading|weiterlesen|mehr erfahren|lire la suite|leggi tutto|leer más|подробнее|читать далее|more)\W{0,4}|[\d\s.,/#:()-]+)$`)
)

// dateLine returns the date a line shows, or "": the whole line after a
// "Date:" label, or its first or last part beside a separator ("August 30,
// 2017 / 4 comments", "02.12.2022 | Husum - …"). A labelled identifier
// ("No. 1955-12", "Opinion #: 2015-03") is no date.
func dateLine(s string) string {
	if isIDLabel(s) {
		return ""
	}
	if parts := splitDateSep(s); len(parts) > 1 {
		for _, t := range []string{parts[0], parts[len(parts)-1]} {
			if t = unbracket(stripLabel(strings.TrimSpace(t))); !isIDLabel(t) && looksLikeDate(t) {
				return t
			}
		}
	}
	if t := unbracket(stripLabel(s)); looksLikeDate(t) {
		return t
	}
	return afterDateWord(s)
}

// dateWords label a date without a colon: "Decided 06/25/2024", "Filed Feb
// 23, 2018", "2024 OK 57, 119791 Decided 06/25/2024".
var dateWords = map[string]bool{
	"decided": true, "filed": true, "issued": true, "dated": true, "date": true, "entered": true,
	"published": true, "posted": true, "released": true, "updated": true, "argued": true, "submitted": true,
	"veröffentlicht": true, "datum": true, "publié": true, "publiée": true, "fecha": true, "publicado": true,
	"publicada": true, "pubblicato": true, "data": true,
}

// afterDateWord returns the date after the last date word of a short line
// ("… Decided 06/25/2024"), or "".
func afterDateWord(s string) string {
	if len(s) > 200 || !strings.ContainsAny(s, "0123456789") {
		return ""
	}
	f := strings.Fields(s)
	for i := len(f) - 2; i >= 0 && i >= len(f)-8; i-- {
		if !dateWords[strings.ToLower(strings.TrimRight(f[i], ":"))] {
			continue
		}
		rest := f[i+1:]
		if len(rest) > 1 && (rest[0] == "on" || rest[0] == "am" || rest[0] == "le" || rest[0] == "el" || rest[0] == "il") {
			rest = rest[1:]
		}
		if t := strings.Join(rest, " "); looksLikeDate(t) {
			return t
		}
		return ""
	}
	return ""
}

// unbracket drops brackets around a date that names its weekday or time:
// there they are decoration, not a cataloguer's mark of an inferred date.
func unbracket(s string) string {
	if len(s) > 2 && (s[0] == '[' && s[len(s)-1] == ']' || s[0] == '(' && s[len(s)-1] == ')') {
		inner := strings.TrimSpace(s[1 : len(s)-1])
		if mayBeWeekday(inner) && weekdayRe.MatchString(inner) || mayHaveTime(inner) && timeRe.MatchString(inner) {
			return inner
		}
	}
	return s
}

// metaLine reports a byline or meta line (author, comment count, "Posted
// in", a number alone) that is no summary.
func metaLine(s string) bool {
	return len(s) < 160 && mayBeMeta(s) && metaLineRe.MatchString(s)
}

// stripLabel drops a leading "Date:"-like label.
func stripLabel(s string) string {
	i := strings.IndexByte(s, ':')
	if i <= 0 || i > 20 || strings.ContainsAny(s[:i], "0123456789") {
		return s
	}
	return strings.TrimSpace(s[i+1:])
}

// isDocLink reports whether a link can be a record's title link: it has text,
// points at a page, and matches the profile's document path when it has one.
func isDocLink(a *html.Node, base *url.URL, p Profile) bool {
	href, _ := hasClassOrAttr(a, "href")
	href = strings.TrimSpace(href)
	low := strings.ToLower(href)
	if href == "" || strings.HasPrefix(href, "#") || strings.HasPrefix(low, "javascript:") || strings.HasPrefix(low, "mailto:") || strings.HasPrefix(low, "tel:") {
		return false
	}
	if !hasText(a, nil) {
		return false
	}
	u, err := base.Parse(href)
	if err != nil {
		return false
	}
	if p.docPath != nil {
		return p.docPath.MatchString(u.Path)
	}
	// A link to the listing itself (pager, facet, sort) is not a record,
	// unless its query names one ("?id=12", "?docid=…").
	return !(strings.EqualFold(u.Host, base.Host) && u.Path == base.Path) || recordQuery(u.RawQuery)
}

// recordQuery reports whether a query names one record: a parameter "id" or
// ending in "id" with a value, and no paging parameter.
func recordQuery(q string) bool {
	if q == "" || !strings.Contains(strings.ToLower(q), "id=") {
		return false // cheap pre-check
	}
	vals, err := url.ParseQuery(q)
	if err != nil {
		return false
	}
	named := false
	for k, v := range vals {
		k = strings.ToLower(k)
		switch {
		case k == "page" || k == "p" || k == "start" || k == "offset":
			return false
		case strings.HasSuffix(k, "id") && len(v) > 0 && v[0] != "":
			named = true
		}
	}
	return named
}

// firstIn returns the first node under block matched by sel that is not inside
// a skipped subtree and passes ok (when given).
func firstIn(block *html.Node, sel cascadia.SelectorGroup, skip map[*html.Node]bool, ok func(*html.Node) bool) *html.Node {
	if len(sel) == 0 {
		return nil
	}
	return firstMatch(block, sel, skip, ok)
}

// firstMatch walks the descendants of n in document order, as
// cascadia.QueryAll does, and returns the first that m matches and that
// passes ok (when given), not entering the subtrees in skip.
func firstMatch(n *html.Node, m cascadia.Matcher, skip map[*html.Node]bool, ok func(*html.Node) bool) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if skip[c] {
			continue
		}
		if m.Match(c) && (ok == nil || ok(c)) {
			return c
		}
		if found := firstMatch(c, m, skip, ok); found != nil {
			return found
		}
	}
	return nil
}

func contains(a, b *html.Node) bool {
	for c := b.Parent; c != nil; c = c.Parent {
		if c == a {
			return true
		}
	}
	return false
}

// fillDates normalises the numeric dates that only the page as a whole
// makes readable: when one record's "13/09/1955" shows the day comes first,
// its sibling "05/09/1955" is read the same way.
func fillDates(recs []harvest.Record) {
	texts := make([]string, 0, len(recs))
	for _, r := range recs {
		if r.Date == "" && r.DateText != "" {
			texts = append(texts, r.DateText)
		}
	}
	if len(texts) == 0 {
		return
	}
	order := dateOrder(texts)
	if order == 0 {
		return
	}
	for i, r := range recs {
		if r.Date == "" && r.DateText != "" {
			recs[i].Date = normalizeIn(r.DateText, order)
		}
	}
}

func dedupe(recs []harvest.Record, warns *[]string, pageURL string) []harvest.Record {
	seen := make(map[string]bool, len(recs))
	out := recs[:0]
	for _, r := range recs {
		if seen[r.URL] {
			*warns = append(*warns, fmt.Sprintf("%s: document %s listed twice on the page; kept the first", pageURL, r.URL))
			continue
		}
		seen[r.URL] = true
		out = append(out, r)
	}
	return out
}

func mustGroup(s string) cascadia.SelectorGroup {
	g, err := cascadia.ParseGroup(s)
	if err != nil {
		panic(err) // only for the package's own constant selectors
	}
	return g
}

func snippet(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}

// baseAndBody returns what a page's links resolve against — its <base href>
// when it sets an absolute one, else base — and its <body> (root when it
// has none).
func baseAndBody(root *html.Node, base *url.URL) (*url.URL, *html.Node) {
	if b := cascadia.Query(root, baseSel); b != nil {
		if href, _ := hasClassOrAttr(b, "href"); href != "" {
			if u, err := base.Parse(href); err == nil && u.IsAbs() {
				base = u
			}
		}
	}
	body := cascadia.Query(root, bodySel)
	if body == nil {
		body = root
	}
	return base, body
}
