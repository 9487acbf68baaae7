package parser

import (
	"bytes"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
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
	valueClass  = regexp.MustCompile(`(?i)(^|[-_])(items?|values?|text|defin)$|^value`)
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
	base, bodyNode := baseAndBody(root, base)
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
	autoFields := len(fields) == 0
	if autoFields {
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
	if doc.DateText == "" {
		doc.DateText = autoDate(bodyNode)
	}
	if doc.Summary == "" {
		doc.Summary = metaContent(root, metaDescSel)
	}
	if len(s.texts) > 0 {
		doc.Texts = texts(root, queryOutside(bodyNode, s.texts))
	}
	if len(doc.Texts) == 0 {
		doc.Texts = texts(root, queryOutside(bodyNode, autoTabSel))
	}
	if len(s.attaches) > 0 {
		doc.Links = r.links(queryOutside(bodyNode, s.attaches), false)
	}
	if len(doc.Links) == 0 {
		doc.Links = r.links(queryOutside(bodyNode, autoLinkSel), true)
	}
	if autoFields {
		doc.Fields = withoutLinkLists(doc.Fields, doc.Links)
	}
	doc.NodeID = nodeID(body, s.nodeID)
	if doc.DateText != "" {
		doc.Date = NormalizeDate(doc.DateText)
		if doc.Date == "" {
			doc.Date = NormalizeDate(stripLabel(doc.DateText)) // "Creation: 1956 September 17"
		}
	}
	// A challenge service's marks can sit on a real page (an injected
	// script): a page is a challenge only when it holds next to nothing of
	// a document (auto may read a label or two of the challenge's own).
	if len(doc.Fields) < 3 && len(doc.Links) == 0 && len(doc.Texts) == 0 && doc.Summary == "" && IsChallenge(body) {
		return harvest.Document{URL: pageURL}, fmt.Errorf("%s: %w", pageURL, harvest.ErrChallenge)
	}
	return doc, nil
}

// withoutLinkLists drops the fields that auto read from a list of the
// attachment links ("Downloads": "Download PDF", "Scan"), which Links holds.
func withoutLinkLists(fields []harvest.Field, links []harvest.Link) []harvest.Field {
	if len(links) == 0 {
		return fields
	}
	label := make(map[string]bool, len(links))
	for _, l := range links {
		label[l.Label] = true
	}
	out := fields[:0]
	for _, f := range fields {
		all := true
		for _, v := range f.Values {
			all = all && label[v]
		}
		if !all {
			out = append(out, f)
		}
	}
	return out
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
// between <br>s, is one; so is each of two or more children of one kind
// with nothing but separators (";", ",", "|") between them; a lone wrapper
// is looked into; else the element's whole text is one value.
func values(n *html.Node) []string {
	if n.Type != html.ElementNode {
		if t := nodeText(n, nil); t != "" {
			return []string{t}
		}
		return nil
	}
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
	var nodes []*html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		nodes = append(nodes, c)
	}
	if kids, loose := elements(nodes); !loose && len(kids) == 1 {
		return values(kids[0])
	}
	if vals, ok := repeated(nodes); ok {
		return vals
	}
	if t := nodeText(n, nil); t != "" {
		return []string{t}
	}
	return nil
}

// elements returns the elements among nodes, and whether any text among them
// is more than white space and separators.
func elements(nodes []*html.Node) (kids []*html.Node, loose bool) {
	for _, c := range nodes {
		switch {
		case c.Type == html.TextNode:
			loose = loose || strings.Trim(c.Data, " \t\r\n\u00a0;,|/·•") != ""
		case c.Type == html.ElementNode && !skipped(c):
			kids = append(kids, c)
		}
	}
	return kids, loose
}

// repeated reads nodes that are two or more elements of one kind, with
// nothing but separators between them, as a value each.
func repeated(nodes []*html.Node) ([]string, bool) {
	kids, loose := elements(nodes)
	if loose || len(kids) < 2 {
		return nil, false
	}
	for _, k := range kids[1:] {
		if k.DataAtom != kids[0].DataAtom || k.Data != kids[0].Data {
			return nil, false
		}
	}
	var vals []string
	for _, k := range kids {
		vals = appendUnique(vals, nodeText(k, nil))
	}
	return vals, true
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
// follow the label (at the label's level inside the block), up to the next
// label.
func restValues(block, label *html.Node) []string {
	top := label
	for top.Parent != nil && top.Parent != block {
		top = top.Parent
	}
	if top.Parent != block {
		return nil
	}
	vals, _ := siblingValues(top)
	return vals
}

// siblingValues reads the values in the siblings after label, up to the next
// sibling that is a label itself (a class ending in "label", or a heading);
// next is that sibling, or nil. Siblings whose class names them values
// (field__item, element-text, value...) are a value each, as are list
// items and lines between <br>s; loose inline text is one value.
func siblingValues(label *html.Node) (vals []string, next *html.Node) {
	var items, rest []*html.Node
	for sib := label.NextSibling; sib != nil; sib = sib.NextSibling {
		if sib.Type == html.ElementNode && (hasClassMatch(sib, labelClass) || headingLike(sib) || fieldInner.Match(sib) || cascadia.Query(sib, fieldInner) != nil) {
			next = sib
			break
		}
		if sib.Type == html.ElementNode && !skipped(sib) && hasClassMatch(sib, valueClass) {
			items = append(items, sib)
		}
		if sib.Type == html.ElementNode && !skipped(sib) || sib.Type == html.TextNode {
			rest = append(rest, sib)
		}
	}
	if len(items) > 0 {
		for _, it := range items {
			for _, v := range values(it) {
				vals = appendUnique(vals, v)
			}
		}
		return vals, next
	}
	// Inline values side by side (links, spans): one each. Blocks are read
	// one by one below, each split as values splits it.
	if kids, _ := elements(rest); len(kids) > 0 && !blockLevel(kids[0]) {
		if vals, ok := repeated(rest); ok {
			return vals, next
		}
	}
	var texts []string
	flush := func() {
		if t := collapseSpace(strings.Join(texts, " ")); t != "" {
			vals = appendUnique(vals, t)
		}
		texts = nil
	}
	for _, n := range rest {
		switch {
		case n.Type == html.TextNode:
			texts = append(texts, n.Data)
		case n.DataAtom == atom.Br:
			flush()
		case blockLevel(n) || n.DataAtom == atom.Ul || n.DataAtom == atom.Ol:
			flush()
			for _, v := range values(n) {
				vals = appendUnique(vals, v)
			}
		default:
			texts = append(texts, nodeText(n, nil))
		}
	}
	flush()
	return vals, next
}

func isHeading(n *html.Node) bool {
	switch n.DataAtom {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return true
	}
	return false
}

// auto reads label/value pairs by their shape: definition lists, two-column
// tables, labels with a class ending in "label" (Drupal's field__label,
// CONTENTdm's field-label, Omeka's) and the values beside them, a heading
// that opens a small block of its own (Omeka's element, ArchivesSpace's
// notes), and "<strong>Label:</strong> value" lines. Page chrome (nav,
// header, footer, aside) is left out.
func (r docReader) auto(body *html.Node) []located {
	var out []located
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || skipped(c) || chromeMatch.Match(c) {
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
			case hasClassMatch(c, labelClass) && n != body:
				label := cleanLabel(nodeText(c, nil))
				vals, next := siblingValues(c)
				if label != "" && len(label) <= 80 && len(vals) > 0 {
					out = append(out, located{at: c, label: label, values: vals})
					if next == nil {
						return
					}
					c = next.PrevSibling // go on at the next label
					continue
				}
			case n != body && headingLike(c):
				label := cleanLabel(nodeText(c, nil))
				vals, next := siblingValues(c)
				if label != "" && len(label) <= 80 && len(vals) > 0 && len(strings.Join(vals, "")) <= 4000 {
					out = append(out, located{at: c, label: label, values: vals})
					if next == nil {
						return
					}
					c = next.PrevSibling
					continue
				}
			case (c.DataAtom == atom.Strong || c.DataAtom == atom.B) && firstElement(n) == c && leadsLine(n, c):
				label := nodeText(c, nil)
				if strings.HasSuffix(label, ":") && len(label) <= 60 {
					if vals, _ := siblingValues(c); len(vals) > 0 {
						out = append(out, located{at: c, label: cleanLabel(label), values: vals})
						return
					}
				}
			}
			walk(c)
		}
	}
	walk(body)
	return out
}

// firstElement is n's first element child.
func firstElement(n *html.Node) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			return c
		}
	}
	return nil
}

// leadsLine reports whether c starts n's text (no text before it).
func leadsLine(n, c *html.Node) bool {
	for x := n.FirstChild; x != c; x = x.NextSibling {
		if x.Type == html.TextNode && strings.TrimSpace(x.Data) != "" {
			return false
		}
	}
	return true
}

// fieldInner is what ends the values after a label: another label, a
// heading, a list of definitions or a table.
var fieldInner = cascadia.MustCompile("h2, h3, h4, h5, h6, dl, table, [class*=label]")

// headingLike reports whether n is a heading (h2 to h6; h1 is the title) or
// a wrapper that holds only one.
func headingLike(n *html.Node) bool {
	for depth := 0; n != nil && n.Type == html.ElementNode && depth < 3; depth++ {
		if isHeading(n) {
			return n.DataAtom != atom.H1
		}
		var only *html.Node
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch {
			case c.Type == html.TextNode && strings.TrimSpace(c.Data) != "":
				return false
			case c.Type == html.ElementNode && only != nil:
				return false
			case c.Type == html.ElementNode:
				only = c
			}
		}
		n = only
	}
	return false
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
	slices.SortStableFunc(fields, func(a, b located) int { return order[a.at] - order[b.at] })
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
	if len(panes) == 0 {
		return nil
	}
	tabs, ids := tabIndex(root)
	var out []harvest.Text
	for i, p := range panes {
		body := paragraphs([]*html.Node{p})
		if body == "" {
			continue
		}
		out = append(out, harvest.Text{Label: paneLabel(p, i, tabs, ids), Body: body})
	}
	return out
}

// tabIndex maps each id that an element points at (href="#id",
// aria-controls, data-target, data-bs-target) to the text of the first such
// element with text, and each id to its element.
func tabIndex(root *html.Node) (tabs map[string]string, ids map[string]*html.Node) {
	tabs, ids = map[string]string{}, map[string]*html.Node{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				target := ""
				switch a.Key {
				case "id":
					if _, ok := ids[a.Val]; !ok {
						ids[a.Val] = n
					}
				case "href", "data-target", "data-bs-target":
					target, _ = strings.CutPrefix(a.Val, "#")
					if target == a.Val {
						target = ""
					}
				case "aria-controls":
					target = a.Val
				}
				if target != "" && tabs[target] == "" {
					tabs[target] = nodeText(n, nil)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return tabs, ids
}

// paneLabel is the label of a tab pane: the text of the tab pointing at it,
// else of the element its aria-labelledby names, its data-label, its first
// heading, or "Text N".
func paneLabel(pane *html.Node, i int, tabs map[string]string, ids map[string]*html.Node) string {
	if id, _ := hasClassOrAttr(pane, "id"); id != "" && tabs[id] != "" {
		return tabs[id]
	}
	if by, _ := hasClassOrAttr(pane, "aria-labelledby"); by != "" {
		if n := ids[by]; n != nil {
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
	for _, h := range queryOutside(body, h1Sel) {
		if t := nodeText(h, nil); t != "" {
			return t
		}
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

var (
	autoDateSel = mustGroup(`time, .date, [class*="date"]`)
	autoTabSel  = mustGroup(`[role=tabpanel], .tab-pane`)
	metaDescSel = cascadia.MustCompile(`meta[name=description][content], meta[property="og:description"][content]`)
)

// autoDate is the text of the first date-like element outside page chrome
// (a <time>, a class naming a date) whose text reads as a date.
func autoDate(body *html.Node) string {
	for _, n := range queryOutside(body, autoDateSel) {
		if t := nodeText(n, nil); t != "" && len(t) < 80 && isDateText(t) {
			return t
		}
	}
	return ""
}

// metaContent is the content of the first meta element sel matches.
func metaContent(root *html.Node, sel cascadia.Matcher) string {
	if m := cascadia.Query(root, sel); m != nil {
		v, _ := hasClassOrAttr(m, "content")
		return collapseSpace(v)
	}
	return ""
}

// nodeID finds the site's internal id in the page's source.
func nodeID(body []byte, re *regexp.Regexp) string {
	if re == nil {
		// Drupal's marks hold a literal word: the expression runs only
		// around it, not over the whole page (a tenth of the parse).
		for _, mark := range drupalMarks {
			if i := bytes.Index(body, mark); i >= 0 {
				if id := firstGroup(drupalNode.FindSubmatch(body[max(0, i-512):min(len(body), i+512)])); id != "" {
					return id
				}
			}
		}
		return ""
	}
	return firstGroup(re.FindSubmatch(body))
}

// drupalMarks are the words that drupalNode's alternatives hold.
var drupalMarks = [][]byte{[]byte(`"currentPath"`), []byte(`shortlink`)}

// firstGroup returns the first non-empty group of a submatch, or "".
func firstGroup(m [][]byte) string {
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

// hasClassMatch reports whether one of n's class names matches re.
func hasClassMatch(n *html.Node, re *regexp.Regexp) bool {
	cls, _ := hasClassOrAttr(n, "class")
	for _, c := range strings.Fields(cls) {
		if re.MatchString(c) {
			return true
		}
	}
	return false
}
