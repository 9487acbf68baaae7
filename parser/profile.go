package parser

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/andybalholm/cascadia"
)

// Profile tells the listing parser where one archive keeps its records.
// Every selector is CSS (as goquery takes it). A profile whose selectors find
// nothing on a page with content falls back to the auto strategy, which finds
// records by their shape; the empty profile "auto" always does.
//
// Profiles are data: a JSON file of this struct (see LoadProfile) makes a new
// archive work without new code.
type Profile struct {
	Name  string   `json:"name"`
	Hosts []string `json:"hosts,omitempty"` // hosts the profile is chosen for

	// Records are selectors for one record block each, tried in order; the
	// first that matches anything is used.
	Records []string `json:"records,omitempty"`
	// Title selects the record's link inside a block; default: the first link
	// whose path matches DocumentPath (any link when that is empty).
	Title string `json:"title,omitempty"`
	// Date and Summary select inside a block; when empty or matching nothing,
	// the date is the first date-like line and the summary the paragraphs.
	Date    string `json:"date,omitempty"`
	Summary string `json:"summary,omitempty"`
	// Next selects the pager's next link; the common pager markups are tried
	// after it.
	Next string `json:"next,omitempty"`
	// DocumentPath is a regular expression that a document URL's path matches,
	// e.g. "^/document/". Empty: any link.
	DocumentPath string `json:"document_path,omitempty"`

	// PageParam is the query parameter that numbers listing pages, and
	// FirstPage the number of the first page (0 for Drupal).
	PageParam string `json:"page_param,omitempty"`
	FirstPage int    `json:"first_page,omitempty"`

	// How to list the newest documents first, for incremental harvests:
	// NewestFirstQuery is a query string that orders the listing so (e.g.
	// "sort_by=created&sort_order=DESC"); NewestFirst says that the
	// listing's default order already is. With neither, --incremental walks
	// the whole listing with conditional requests.
	NewestFirst      bool   `json:"newest_first,omitempty"`
	NewestFirstQuery string `json:"newest_first_query,omitempty"`

	// Document names the selectors of the archive's document pages (see
	// DocumentProfile and ParseDocument).
	Document DocumentProfile `json:"document,omitzero"`

	docPath *regexp.Regexp
	sels    compiled
	docSels documentSels
}

type compiled struct {
	records             []cascadia.SelectorGroup
	title, date, summry cascadia.SelectorGroup
	next                cascadia.SelectorGroup
}

// builtin profiles, by name.
var builtin = map[string]Profile{
	"auto": {Name: "auto"},
	"wilson": {
		Name:  "wilson",
		Hosts: []string{"digitalarchive.wilsoncenter.org"},
		Records: []string{
			`table.table-hover tr:has(a[href*="/document/"])`,
			"td.document",
			".search-result",
			".views-row",
			"article.node--type-document",
		},
		Title:        `a[href*="/document/"]`,
		Date:         ".date, time, .field--name-field-document-date, .views-field-field-document-date",
		Summary:      ".summary, .field--name-field-summary, .search-result__summary",
		Next:         "li.pager__item--next a",
		DocumentPath: "^/document/",
		PageParam:    "page",
		FirstPage:    0,
		Document: DocumentProfile{
			Title:        "h1.title, .content-block .title, h1",
			Date:         ".content-block .date, .date",
			Summary:      ".text-block",
			Block:        ".information-block",
			Label:        ".sub-title",
			Value:        ".text",
			Heading:      "h2.title",
			HeadingValue: ".pill .name span",
			Subjects:     ".pill-subject",
			Texts:        "#documentTabs .tab-pane",
			Attachments:  `.pdf-preview[data], a[href*="/download"], a[href*="/shared-media/"], a[href$=".pdf"]`,
			NodeID:       `"currentPath"\s*:\s*"node\\?/(\d+)"`,
		},
	},
	"drupal": {
		Name:      "drupal",
		Records:   []string{".views-row", ".search-result", "li.search-results__item"},
		Next:      "li.pager__item--next a, li.pager-next a",
		PageParam: "page",
	},
}

// Names lists the built-in profiles.
func Names() []string {
	var names []string
	for n := range builtin {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the built-in profile of that name, ready to use.
func Lookup(name string) (Profile, error) {
	p, ok := builtin[name]
	if !ok {
		return Profile{}, fmt.Errorf("no profile %q (have %s, or a .json file)", name, strings.Join(Names(), ", "))
	}
	return p.compile()
}

// ForHost returns the built-in profile made for host, or auto.
func ForHost(host string) Profile {
	host = strings.ToLower(host)
	for _, name := range Names() {
		for _, h := range builtin[name].Hosts {
			if h == host || strings.HasSuffix(host, "."+h) {
				p, _ := builtin[name].compile()
				return p
			}
		}
	}
	p, _ := builtin["auto"].compile()
	return p
}

// LoadProfile reads a profile from a JSON file and checks its selectors.
func LoadProfile(path string) (Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Profile{}, fmt.Errorf("read profile: %w", err)
	}
	var p Profile
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Profile{}, fmt.Errorf("profile %s: %w", path, err)
	}
	if p.Name == "" {
		p.Name = path
	}
	p, err = p.compile()
	if err != nil {
		return Profile{}, fmt.Errorf("profile %s: %w", path, err)
	}
	return p, nil
}

// compile parses the profile's selectors and pattern once, so that no page
// parse compiles any.
func (p Profile) compile() (Profile, error) {
	var err error
	sel := func(field, s string) cascadia.SelectorGroup {
		if s == "" || err != nil {
			return nil
		}
		c, e := cascadia.ParseGroup(s)
		if e != nil {
			err = fmt.Errorf("%s selector %q: %w", field, s, e)
			return nil
		}
		return c
	}
	p.sels = compiled{}
	for _, r := range p.Records {
		p.sels.records = append(p.sels.records, sel("records", r))
	}
	p.sels.title = sel("title", p.Title)
	p.sels.date = sel("date", p.Date)
	p.sels.summry = sel("summary", p.Summary)
	p.sels.next = sel("next", p.Next)
	if err != nil {
		return Profile{}, err
	}
	if p.docSels, err = p.Document.compile(); err != nil {
		return Profile{}, err
	}
	if p.DocumentPath != "" {
		re, e := regexp.Compile(p.DocumentPath)
		if e != nil {
			return Profile{}, fmt.Errorf("document_path %q: %w", p.DocumentPath, e)
		}
		p.docPath = re
	}
	return p, nil
}
