package parser

// TEMPORARY STUB (branch parser-probe): the real probe.go is being written by
// the parser's owner; the lead replaces this file with it at merge. Only the
// names and shapes below are relied on by cmd/harvest probe.

import (
	"encoding/json"
	"net/url"

	"github.com/harvest-archive/harvest"
)

// Report is what each strategy makes of one listing page.
type Report struct {
	URL        string
	Strategies []StrategyReport // the profile's first (unless it is auto), then auto's
}

// StrategyReport is what one strategy found on the page.
type StrategyReport struct {
	Name    string              // the profile's name, or "auto"
	Page    harvest.ListingPage // records, Window, Next, Warnings
	Err     string              // the parse error, if any
	Refused []Refusal           // link groups or blocks considered and not taken, and why
}

// Refusal is one candidate a strategy did not take, and why.
type Refusal struct {
	What string
	Why  string
}

// Probe parses body with the profile p and with auto, and reports both.
func Probe(body []byte, pageURL string, p Profile) Report {
	r := Report{URL: pageURL}
	one := func(name string, p Profile) {
		page, err := ParseListing(body, pageURL, p)
		sr := StrategyReport{Name: name, Page: page}
		if err != nil {
			sr.Err = err.Error()
		}
		r.Strategies = append(r.Strategies, sr)
	}
	if p.Name != "auto" && p.Name != "" {
		one(p.Name, p)
	}
	auto, _ := Lookup("auto")
	one("auto", auto)
	return r
}

// SuggestProfile returns a starting profile (JSON, as LoadProfile reads it)
// from what auto finds on the page.
func SuggestProfile(body []byte, pageURL string, name string) ([]byte, error) {
	p := Profile{Name: name}
	if u, err := url.Parse(pageURL); err == nil && u.Hostname() != "" {
		p.Hosts = []string{u.Hostname()}
	}
	return json.MarshalIndent(p, "", "  ")
}
