package parser

import (
	"bytes"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
	"unicode"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/harvest-archive/harvest"
)

// DocumentProfile names the selectors of an archive's document page, as the
// rest of a Profile names its listing's. Every selector is CSS; every one may
// be empty, and a part whose selector is empty or finds nothing on a page is
// read by the auto strategy instead (see ParseDocument).
//
// In a profile file it is the object under "document".
type DocumentProfile struct {
	// Title and Date select the document's title and date (the first match).
	Title string `json:"title,omitempty"`
	Date  string `json:"date,omitempty"`
	// Summary selects the description; the texts of all matches are joined
	// as paragraphs.
	Summary string `json:"summary,omitempty"`

	// Block selects label/value blocks; inside each, Label selects the label
	// and Value the value or values (each match one value). With Value empty
	// or matching nothing, the block's text after its label is the value.
	Block string `json:"block,omitempty"`
	Label string `json:"label,omitempty"`
	Value string `json:"value,omitempty"`

	// Heading selects headings that label the values after them: every
	// match of HeadingValue between one heading and the next is one value of
	// the heading's field (Wilson's h2.title and ".pill .name span").
	Heading      string `json:"heading,omitempty"`
	HeadingValue string `json:"heading_value,omitempty"`

	// Subjects selects subject headings, kept as the field "subjects" when
	// no labelled field gave that key.
	Subjects string `json:"subjects,omitempty"`

	// Texts selects the panes of the document's text (original, translation,
	// transcript). A pane's label is the text of the tab that points at it
	// (href="#id", aria-controls, data-target), else its aria-labelledby,
	// data-label or first heading.
	Texts string `json:"texts,omitempty"`

	// Attachments selects attachment links: a[href], or elements with a
	// data or src attribute (object.pdf-preview[data], embed, iframe).
	Attachments string `json:"attachments,omitempty"`

	// NodeID is a regular expression whose first group, matched against the
	// page's source, is the site's internal id. Empty: Drupal's
	// "currentPath":"node/{id}" and <link rel="shortlink" href="/node/{id}">.
	NodeID string `json:"node_id,omitempty"`

	// Labels maps more page labels to canonical keys (harvest.DocumentKeys,
	// or "title", "date", "summary"), beside the built-in synonyms; matched
	// case- and space-insensitively.
	Labels map[string]string `json:"labels,omitempty"`
}

// documentSels is a DocumentProfile compiled.
type documentSels struct {
	title, date, summary      cascadia.SelectorGroup
	block, label, value       cascadia.SelectorGroup
	heading, headingValue     cascadia.SelectorGroup
	subjects, texts, attaches cascadia.SelectorGroup
	nodeID                    *regexp.Regexp
	labels                    map[string]string
}

// compile parses the document section's selectors and pattern.
func (d DocumentProfile) compile() (documentSels, error) {
	var s documentSels
	var err error
	sel := func(field, v string) cascadia.SelectorGroup {
		if v == "" || err != nil {
			return nil
		}
		c, e := cascadia.ParseGroup(v)
		if e != nil {
			err = fmt.Errorf("document.%s selector %q: %w", field, v, e)
			return nil
		}
		return c
	}
	s.title = sel("title", d.Title)
	s.date = sel("date", d.Date)
	s.summary = sel("summary", d.Summary)
	s.block = sel("block", d.Block)
	s.label = sel("label", d.Label)
	s.value = sel("value", d.Value)
	s.heading = sel("heading", d.Heading)
	s.headingValue = sel("heading_value", d.HeadingValue)
	s.subjects = sel("subjects", d.Subjects)
	s.texts = sel("texts", d.Texts)
	s.attaches = sel("attachments", d.Attachments)
	if err != nil {
		return s, err
	}
	if d.NodeID != "" {
		re, e := regexp.Compile(d.NodeID)
		if e != nil {
			return s, fmt.Errorf("document.node_id %q: %w", d.NodeID, e)
		}
		if re.NumSubexp() < 1 {
			return s, fmt.Errorf("document.node_id %q: needs a group that holds the id", d.NodeID)
		}
		s.nodeID = re
	}
	for label, key := range d.Labels {
		if !knownKey(key) {
			return s, fmt.Errorf("document.labels: %q maps to %q, which is no key (have %s, title, date, summary)", label, key, strings.Join(harvest.DocumentKeys, ", "))
		}
		if s.labels == nil {
			s.labels = map[string]string{}
		}
		s.labels[labelKey(label)] = key
	}
	return s, nil
}

func knownKey(key string) bool {
	switch key {
	case keyTitle, keyDate, keySummary:
		return true
	}
	for _, k := range harvest.DocumentKeys {
		if k == key {
			return true
		}
	}
	return false
}

// The pseudo-keys of labels whose values fill the Document's own fields.
const (
	keyTitle   = "title"
	keyDate    = "date"
	keySummary = "summary"
)

// synonyms maps labels (as labelKey makes them) to canonical keys.
var synonyms = func() map[string]string {
	m := map[string]string{}
	add := func(key string, labels ...string) {
		for _, l := range labels {
			m[labelKey(l)] = key
		}
	}
	add("source", "Source", "Sources", "Source of Document", "Document Source", "Provenance")
	add("original_archive", "Original Archive", "Original Archives", "Repository", "Repositories", "Holding Archive", "Archive")
	add("rights", "Rights", "Rights Statement", "Rights Statements", "Copyright", "License", "Licence", "Usage Rights", "Conditions Governing Use", "Access Rights")
	add("record_id", "Record ID", "Record Identifier", "Record Number", "Identifier", "Identifiers", "ID", "Local Identifier", "Item ID", "Object ID")
	add("original_uploaded_date", "Original Uploaded Date", "Uploaded Date", "Upload Date", "Date Uploaded", "Original Upload Date")
	add("original_classification", "Original Classification", "Classification", "Security Classification")
	add("language", "Language", "Languages", "Language of Materials", "Language of Material")
	add("author", "Author", "Authors", "Creator", "Creators", "Author(s)", "Creator(s)")
	add("associated_people", "Associated People", "Associated Persons", "Associated Person", "People", "Persons", "Person", "Personal Names", "Names")
	add("associated_places", "Associated Places", "Associated Place", "Places", "Place", "Coverage", "Spatial Coverage", "Geographic Names", "Geographic Coverage", "Location")
	add("subjects", "Subjects Discussed", "Subjects", "Subject", "Subject Headings", "Topics", "Topic", "Keywords", "Subject(s)")
	add("donors", "Donor", "Donors", "Funder", "Funders", "Donated By", "Funding")
	add("document_contributor", "Document Contributor", "Document Contributors", "Contributor", "Contributors", "Contributor(s)")
	add(keyTitle, "Title", "Document Title")
	add(keyDate, "Date", "Document Date", "Date Created", "Created", "Dates", "Date of Document", "Date(s)")
	add(keySummary, "Summary", "Description", "Abstract", "Scope and Contents", "Scope and Content", "Scope Note")
	return m
}()

// labelKey makes a label comparable: lower case, letters and digits only
// ("Subjects  discussed:" and "subjects discussed" are one).
func labelKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// cleanLabel is a label as a page shows it, without a trailing colon.
func cleanLabel(s string) string {
	s = collapseSpace(s)
	s = strings.TrimRight(s, ":：")
	return strings.TrimSpace(s)
}

var (
	h1Sel       = cascadia.MustCompile("h1")
	titleTagSel = cascadia.MustCompile("head title")
	metaOGSel   = cascadia.MustCompile(`meta[property="og:title"][content]`)
	autoLinkSel = mustGroup("a[href], object[data], embed[src]")
	drupalNode  = regexp.MustCompile(`"currentPath"\s*:\s*"node\\?/(\d+)"|<link[^>]+rel="shortlink"[^>]+href="[^"]*/node/(\d+)"`)
	fileExtRe   = regexp.MustCompile(`(?i)\.(pdf|jpe?g|png|gif|tiff?|jp2|docx?|odt|rtf|txt|xml|xlsx?|csv|zip|mp3|mp4|wav|djvu|epub)$`)
	downloadRe  = regexp.MustCompile(`(?i)(^|/)download(/|$)|[?&]download\b`)
	labelClass  = regexp.MustCompile(`(?i)(^|[-_])label$|^sub-?title$|^label`)
	valueClass  = regexp.MustCompile(`(?i)(^|[-_])(items?|values?|content)$|^value`)
	chromeMatch = cascadia.MustCompile(`nav, header, footer, aside, [role=navigation], [role=banner], [role=contentinfo], .breadcrumb, .menu`)
)

// ParseDocument reads a record's document page: title, date, summary, every
// labelled field, the text tabs, the attachment links and the node id. body
// must be UTF-8 (see DecodeHTML); pageURL is the record's URL, against which
// links resolve (or the page's <base href>).
//
// Each part is read with the profile's document selectors when they find it,
// and otherwise by the auto strategy: label/value pairs of definition lists,
// label + value blocks (a class ending in "label" and the values beside it)
// and two-column tables; the first <h1> as title; links to files (by
// extension, or "download" in the path) as attachments. A label that maps to
// no canonical key (harvest.DocumentKeys) is kept with Key "". A page missing
// fields is no error. The error wraps harvest.ErrChallenge when the page is a
// bot challenge and holds nothing of a document; it is never a panic, whatever
// body holds.
func ParseDocument(body []byte, pageURL string, p Profile) (harvest.Document, error) {
	doc := harvest.Document{URL: pageURL}
	base, err := url.Parse(pageURL)
	if err != nil {
		return doc, fmt.Errorf("document %s: %w", pageURL, err)
	}
	root, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return doc, fmt.Errorf("document %s: parse html: %w", pageURL, err)
	}
	if b := cascadia.Query(root, baseSel); b != nil {
		if href, _ := hasClassOrAttr(b, "href"); href != "" {
			if u, err := base.Parse(href); err == nil && u.IsAbs() {
				base = u
			}
		}
	}
	bodyNode := cascadia.Query(root, bodySel)
	if bodyNode == nil {
		bodyNode = root
	}
	s := p.docSels
	r := docReader{base: base, sels: s, labels: s.labels}

	// Title, date, summary by the profile.
	if n := first(bodyNode, s.title); n != nil {
		doc.Title = nodeText(n, nil)
	}
	if n := first(bodyNode, s.date); n != nil {
		doc.DateText = nodeText(n, nil)
	}
	if len(s.summary) > 0 {
		doc.Summary = paragraphs(queryOutside(bodyNode, s.summary))
	}

	// Fields: the profile's blocks and headed groups, in page order.
	var fields []located
	if len(s.block) > 0 {
		fields = append(fields, r.blocks(bodyNode)...)
	}
	if len(s.heading) > 0 && len(s.headingValue) > 0 {
		fields = append(fields, r.headed(bodyNode)...)
	}
	if len(fields) == 0 {
		fields = r.auto(bodyNode)
	}
	sortLocated(fields)
	r.place(&doc, fields)
	if len(s.subjects) > 0 && len(doc.Value("subjects")) == 0 {
		var vals []string
		for _, n := range queryOutside(bodyNode, s.subjects) {
			if t := nodeText(n, nil); t != "" {
				vals = appendUnique(vals, t)
			}
		}
		if len(vals) > 0 {
			doc.Fields = append(doc.Fields, harvest.Field{Key: "subjects", Label: "Subjects", Values: vals})
		}
	}

	// What the profile did not find, the page's shape may give.
	if doc.Title == "" {
		doc.Title = autoTitle(root, bodyNode)
	}
	if len(s.texts) > 0 {
		doc.Texts = texts(root, queryOutside(bodyNode, s.texts))
	}
	if len(s.attaches) > 0 {
		doc.Links = r.links(queryOutside(bodyNode, s.attaches), false)
	}
	if len(doc.Links) == 0 {
		doc.Links = r.links(queryOutside(bodyNode, autoLinkSel), true)
	}
	doc.NodeID = nodeID(body, s.nodeID)
	if doc.DateText != "" {
		doc.Date = NormalizeDate(doc.DateText)
	}
	// A challenge service's marks can sit on a real page (an injected
	// script): a page is a challenge only when it holds no document.
	if len(doc.Fields) == 0 && len(doc.Links) == 0 && len(doc.Texts) == 0 && doc.Summary == "" && IsChallenge(body) {
		return harvest.Document{URL: pageURL}, fmt.Errorf("%s: %w", pageURL, harvest.ErrChallenge)
	}
	return doc, nil
}

// docReader holds what reading one page needs.
type docReader struct {
	base   *url.URL
	sels   documentSels
	labels map[string]string
}

// located is a labelled field found at a node, so that fields found by
// different means come out in page order.
type located struct {
	at     *html.Node
	label  string
	values []string
}

// key is the canonical key of a label, or "".
func (r docReader) key(label string) string {
	k := labelKey(label)
	if v, ok := r.labels[k]; ok {
		return v
	}
	return synonyms[k]
}

// place puts the fields into doc: the labels of title, date and summary
// fill those when the profile did not, the rest become Fields. Fields that
// repeat one already kept (same label, same values) are dropped.
func (r docReader) place(doc *harvest.Document, fields []located) {
	seen := map[string]bool{}
	for _, f := range fields {
		if f.label == "" || len(f.values) == 0 {
			continue
		}
		key := r.key(f.label)
		joined := strings.Join(f.values, "\x00")
		switch key {
		case keyTitle:
			if doc.Title == "" || doc.Title == joined {
				doc.Title = strings.Join(f.values, " ")
				continue
			}
			key = ""
		case keyDate:
			if doc.DateText == "" || doc.DateText == joined {
				doc.DateText = f.values[0]
				if len(f.values) == 1 {
					continue
				}
			}
			key = ""
		case keySummary:
			if doc.Summary == "" || doc.Summary == strings.Join(f.values, "\n\n") {
				doc.Summary = strings.Join(f.values, "\n\n")
				continue
			}
			key = ""
		}
		id := labelKey(f.label) + "\x01" + joined
		if seen[id] {
			continue
		}
		seen[id] = true
		doc.Fields = append(doc.Fields, harvest.Field{Key: key, Label: f.label, Values: f.values})
	}
}

// blocks reads the profile's label/value blocks.
func (r docReader) blocks(body *html.Node) []located {
	var out []located
	for _, b := range queryOutside(body, r.sels.block) {
		lab := first(b, r.sels.label)
		if lab == nil {
			continue
		}
		label := cleanLabel(nodeText(lab, nil))
		var vals []string
		if len(r.sels.value) > 0 {
			for _, v := range cascadia.QueryAll(b, r.sels.value) {
				if contains(lab, v) || lab == v {
					continue
				}
				vals = append(vals, values(v)...)
			}
		}
		if len(vals) == 0 {
			vals = restValues(b, lab)
		}
		out = append(out, located{at: b, label: label, values: vals})
	}
	return out
}

// headed reads the values that follow each heading, up to the next one.
func (r docReader) headed(body *html.Node) []located {
	heads := queryOutside(body, r.sels.heading)
	isHead := make(map[*html.Node]bool, len(heads))
	for _, h := range heads {
		isHead[h] = true
	}
	var out []located
	for _, h := range heads {
		var vals []string
		// The values follow the heading, or its wrapper when the heading is
		// alone in one: climb until a following sibling holds any.
		for n, depth := h, 0; n != nil && n != body && depth < 4 && len(vals) == 0; n, depth = n.Parent, depth+1 {
			stop := false
			for sib := n.NextSibling; sib != nil && !stop; sib = sib.NextSibling {
				if sib.Type != html.ElementNode {
					continue
				}
				if isHead[sib] || firstMatch(sib, r.sels.heading, nil, nil) != nil {
					stop = true
					// Values before the next heading inside sib still count.
					vals = appendValuesBefore(vals, sib, r.sels.headingValue, isHead)
					break
				}
				if r.sels.headingValue.Match(sib) {
					vals = appendUnique(vals, nodeText(sib, nil))
				}
				for _, v := range cascadia.QueryAll(sib, r.sels.headingValue) {
					vals = appendUnique(vals, nodeText(v, nil))
				}
			}
			if stop {
				break
			}
		}
		out = append(out, located{at: h, label: cleanLabel(nodeText(h, nil)), values: vals})
	}
	return out
}

// appendValuesBefore adds the matches of sel under n that come before the
// first heading under n.
func appendValuesBefore(vals []string, n *html.Node, sel cascadia.SelectorGroup, isHead map[*html.Node]bool) []string {
	done := false
	var walk func(*html.Node)
	walk = func(c *html.Node) {
		for ; c != nil && !done; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if isHead[c] {
				done = true
				return
			}
			if sel.Match(c) {
				vals = appendUnique(vals, nodeText(c, nil))
				continue
			}
			walk(c.FirstChild)
		}
	}
	walk(n.FirstChild)
	return vals
}

func appendUnique(vals []string, v string) []string {
	if v == "" {
		return vals
	}
	for _, x := range vals {
		if x == v {
			return vals
		}
	}
	return append(vals, v)
}

// values reads the values of a value element: each list item, or each line
// between <br>s, is one; else its whole text.
func values(n *html.Node) []string {
	if n.Type == html.ElementNode {
		if items := cascadia.QueryAll(n, liSel); len(items) > 0 {
			var vals []string
			for _, li := range items {
				vals = appendUnique(vals, nodeText(li, nil))
			}
			return vals
		}
		if cascadia.Query(n, brSel) != nil {
			var vals []string
			for _, line := range brLines(n) {
				vals = appendUnique(vals, line)
			}
			return vals
		}
	}
	if t := nodeText(n, nil); t != "" {
		return []string{t}
	}
	return nil
}

var (
	liSel = cascadia.MustCompile("li")
	brSel = cascadia.MustCompile("br")
)

// brLines splits the text of n at its <br>s and block boundaries.
func brLines(n *html.Node) []string {
	var lines []string
	var cur strings.Builder
	flush := func() {
		if t := collapseSpace(cur.String()); t != "" {
			lines = append(lines, t)
		}
		cur.Reset()
	}
	var walk func(*html.Node)
	walk = func(c *html.Node) {
		if skipped(c) {
			return
		}
		switch {
		case c.Type == html.TextNode:
			cur.WriteString(c.Data)
			return
		case c.DataAtom == atom.Br:
			flush()
			return
		}
		block := blockLevel(c)
		if block {
			flush()
		}
		for ch := c.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
		if block {
			flush()
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c)
	}
	flush()
	return lines
}

// restValues reads the values of a block after its label: the siblings that
// follow the label (each a value when they look like items), else the block's
// text without the label's.
func restValues(block, label *html.Node) []string {
	// The label's own level inside the block.
	top := label
	for top.Parent != nil && top.Parent != block {
		top = top.Parent
	}
	if top.Parent != block {
		return nil
	}
	var items, rest []*html.Node
	for sib := top.NextSibling; sib != nil; sib = sib.NextSibling {
		if sib.Type == html.ElementNode && hasClassMatch(sib, valueClass) {
			items = append(items, sib)
		}
		if sib.Type == html.ElementNode || sib.Type == html.TextNode {
			rest = append(rest, sib)
		}
	}
	if len(items) > 1 {
		var vals []string
		for _, it := range items {
			vals = append(vals, values(it)...)
		}
		return vals
	}
	var vals []string
	var texts []string
	for _, n := range rest {
		if n.Type == html.TextNode {
			if t := collapseSpace(n.Data); t != "" {
				texts = append(texts, t)
			}
			continue
		}
		if blockLevel(n) || n.DataAtom == atom.Ul || n.DataAtom == atom.Ol {
			if len(texts) > 0 {
				vals = append(vals, strings.Join(texts, " "))
				texts = nil
			}
			vals = append(vals, values(n)...)
			continue
		}
		if t := nodeText(n, nil); t != "" {
			texts = append(texts, t)
		}
	}
	if len(texts) > 0 {
		vals = append(vals, collapseSpace(strings.Join(texts, " ")))
	}
	return vals
}

func hasClassMatch(n *html.Node, re *regexp.Regexp) bool {
	cls, _ := hasClassOrAttr(n, "class")
	for _, c := range strings.Fields(cls) {
		if re.MatchString(c) {
			return true
		}
	}
	return false
}

// auto reads label/value pairs by their shape: definition lists, two-column
// tables, and blocks whose label has a class ending in "label" (Drupal's
// field--label, Omeka's and CONTENTdm's *-label, ArchivesSpace's).
func (r docReader) auto(body *html.Node) []located {
	var out []located
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || skipped(c) {
				continue
			}
			if chromeMatch.Match(c) {
				continue
			}
			switch {
			case c.DataAtom == atom.Dl:
				out = append(out, definitionList(c)...)
				continue
			case c.DataAtom == atom.Table:
				if f, ok := twoColumns(c); ok {
					out = append(out, f...)
					continue
				}
			case hasClassMatch(c, labelClass) && c.Parent != nil && c.Parent != body:
				if f, ok := labelBlock(c); ok {
					out = append(out, f)
					return // the rest of this parent is the value
				}
			}
			walk(c)
		}
	}
	walk(body)
	return out
}

// definitionList reads a <dl>: each <dt> a label, the <dd>s after it its
// values (dt and dd may sit in wrappers, as Omeka S puts them).
func definitionList(dl *html.Node) []located {
	var out []located
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || skipped(c) {
				continue
			}
			switch c.DataAtom {
			case atom.Dt:
				out = append(out, located{at: c, label: cleanLabel(nodeText(c, nil))})
			case atom.Dd:
				if len(out) > 0 {
					f := &out[len(out)-1]
					for _, v := range values(c) {
						f.values = appendUnique(f.values, v)
					}
				}
			case atom.Dl:
				out = append(out, definitionList(c)...)
			default:
				walk(c)
			}
		}
	}
	walk(dl)
	return out
}

// twoColumns reads a table whose rows are label and value: most rows with
// exactly two cells, the first short. ok is false for any other table.
func twoColumns(t *html.Node) ([]located, bool) {
	var rows [][]*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch c.DataAtom {
			case atom.Table:
				continue // a nested table is its own
			case atom.Tr:
				var cells []*html.Node
				for td := c.FirstChild; td != nil; td = td.NextSibling {
					if td.DataAtom == atom.Td || td.DataAtom == atom.Th {
						cells = append(cells, td)
					}
				}
				rows = append(rows, cells)
			case atom.Thead, atom.Tbody, atom.Tfoot:
				walk(c)
			}
		}
	}
	walk(t)
	var out []located
	two := 0
	for _, cells := range rows {
		if len(cells) != 2 {
			continue
		}
		label := cleanLabel(nodeText(cells[0], nil))
		if label == "" || len(label) > 80 {
			continue
		}
		two++
		out = append(out, located{at: cells[0], label: label, values: values(cells[1])})
	}
	if two == 0 || two*2 < len(rows) {
		return nil, false
	}
	return out, true
}

// labelBlock reads a label element and the values beside it in its parent.
func labelBlock(lab *html.Node) (located, bool) {
	label := cleanLabel(nodeText(lab, nil))
	if label == "" || len(label) > 80 {
		return located{}, false
	}
	vals := restValues(lab.Parent, lab)
	if len(vals) == 0 {
		return located{}, false
	}
	return located{at: lab, label: label, values: vals}, true
}

// sortLocated puts fields in page order (stable).
func sortLocated(fields []located) {
	if len(fields) < 2 {
		return
	}
	order := map[*html.Node]int{}
	var root *html.Node
	for root = fields[0].at; root.Parent != nil; root = root.Parent {
	}
	i := 0
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		order[n] = i
		i++
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	// insertion sort: few fields
	for a := 1; a < len(fields); a++ {
		for b := a; b > 0 && order[fields[b].at] < order[fields[b-1].at]; b-- {
			fields[b], fields[b-1] = fields[b-1], fields[b]
		}
	}
}

// paragraphs is the text of nodes as paragraphs separated by blank lines.
func paragraphs(nodes []*html.Node) string {
	var paras []string
	for _, n := range nodes {
		for _, seg := range segments(n, nil) {
			paras = append(paras, seg.text)
		}
	}
	return strings.Join(paras, "\n\n")
}

// texts reads text panes and their labels.
func texts(root *html.Node, panes []*html.Node) []harvest.Text {
	var out []harvest.Text
	for i, p := range panes {
		body := paragraphs([]*html.Node{p})
		if body == "" {
			continue
		}
		out = append(out, harvest.Text{Label: paneLabel(root, p, i), Body: body})
	}
	return out
}

// paneLabel is the label of a tab pane: the text of the tab pointing at it.
func paneLabel(root, pane *html.Node, i int) string {
	if id, _ := hasClassOrAttr(pane, "id"); id != "" {
		var found string
		firstMatch(root, matchFunc(func(n *html.Node) bool {
			if n.Type != html.ElementNode || n == pane {
				return false
			}
			for _, a := range n.Attr {
				switch a.Key {
				case "href", "data-target", "data-bs-target":
					if a.Val == "#"+id {
						return true
					}
				case "aria-controls":
					if a.Val == id {
						return true
					}
				}
			}
			return false
		}), nil, func(n *html.Node) bool {
			found = nodeText(n, nil)
			return found != ""
		})
		if found != "" {
			return found
		}
	}
	if by, _ := hasClassOrAttr(pane, "aria-labelledby"); by != "" {
		if n := firstMatch(root, matchFunc(func(n *html.Node) bool {
			v, _ := hasClassOrAttr(n, "id")
			return n.Type == html.ElementNode && v == by
		}), nil, nil); n != nil {
			if t := nodeText(n, nil); t != "" {
				return t
			}
		}
	}
	if l, _ := hasClassOrAttr(pane, "data-label"); l != "" {
		return collapseSpace(l)
	}
	if h := cascadia.Query(pane, headingSel); h != nil {
		if t := nodeText(h, nil); t != "" {
			return t
		}
	}
	return fmt.Sprintf("Text %d", i+1)
}

// matchFunc is a function as a cascadia.Matcher.
type matchFunc func(*html.Node) bool

func (f matchFunc) Match(n *html.Node) bool { return f(n) }

var headingSel = cascadia.MustCompile("h1, h2, h3, h4, h5, h6")

// links reads attachment links in page order, one per URL. With auto, only
// links to files count: a file extension, or "download" in the path or text.
func (r docReader) links(nodes []*html.Node, auto bool) []harvest.Link {
	var out []harvest.Link
	at := map[string]int{}
	for _, n := range nodes {
		ref := ""
		for _, k := range []string{"href", "data", "src"} {
			if v, ok := hasClassOrAttr(n, k); ok && strings.TrimSpace(v) != "" {
				ref = strings.TrimSpace(v)
				break
			}
		}
		low := strings.ToLower(ref)
		if ref == "" || strings.HasPrefix(ref, "#") || strings.HasPrefix(low, "javascript:") || strings.HasPrefix(low, "mailto:") || strings.HasPrefix(low, "data:") {
			continue
		}
		u, err := r.base.Parse(ref)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			continue
		}
		u.Fragment = ""
		label := nodeText(n, nil)
		if label == "" {
			for _, k := range []string{"title", "aria-label"} {
				if v, _ := hasClassOrAttr(n, k); v != "" {
					label = collapseSpace(v)
					break
				}
			}
		}
		if auto && !fileExtRe.MatchString(u.Path) && !downloadRe.MatchString(u.Path) && !downloadRe.MatchString(u.RawQuery) && !strings.HasPrefix(strings.ToLower(label), "download") {
			continue
		}
		s := u.String()
		if i, ok := at[s]; ok {
			if out[i].Label == "" {
				out[i].Label = label
			}
			continue
		}
		at[s] = len(out)
		out = append(out, harvest.Link{URL: s, Label: label})
	}
	for i := range out {
		if out[i].Label == "" {
			if u, err := url.Parse(out[i].URL); err == nil {
				out[i].Label = path.Base(u.Path)
			}
		}
	}
	return out
}

// queryOutside is the nodes under body that m matches, outside page chrome.
func queryOutside(body *html.Node, m cascadia.Matcher) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || skipped(c) || chromeMatch.Match(c) {
				continue
			}
			if m.Match(c) {
				out = append(out, c)
			}
			walk(c)
		}
	}
	walk(body)
	return out
}

// autoTitle is the first <h1> with text, else og:title, else <title>.
func autoTitle(root, body *html.Node) string {
	if h := firstMatch(body, h1Sel, nil, func(n *html.Node) bool { return hasText(n, nil) }); h != nil {
		return nodeText(h, nil)
	}
	if m := cascadia.Query(root, metaOGSel); m != nil {
		v, _ := hasClassOrAttr(m, "content")
		return collapseSpace(v)
	}
	if t := cascadia.Query(root, titleTagSel); t != nil {
		return nodeText(t, nil)
	}
	return ""
}

// nodeID finds the site's internal id in the page's source.
func nodeID(body []byte, re *regexp.Regexp) string {
	if re == nil {
		re = drupalNode
	}
	m := re.FindSubmatch(body)
	if m == nil {
		return ""
	}
	for _, g := range m[1:] {
		if len(g) > 0 {
			return string(g)
		}
	}
	return ""
}

// first returns the first node under n that sel matches outside page chrome
// (nav, header, footer, aside), or nil.
func first(n *html.Node, sel cascadia.SelectorGroup) *html.Node {
	if len(sel) == 0 {
		return nil
	}
	var found *html.Node
	var walk func(*html.Node) bool
	walk = func(n *html.Node) bool {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || skipped(c) || chromeMatch.Match(c) {
				continue
			}
			if sel.Match(c) {
				found = c
				return true
			}
			if walk(c) {
				return true
			}
		}
		return false
	}
	walk(n)
	return found
}
