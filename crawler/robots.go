package crawler

import (
	"context"
	"fmt"
	"net/url"

	"github.com/temoto/robotstxt"
)

// robots is a host's robots.txt as it applies to our User-Agent.
type robots struct {
	group *robotstxt.Group // nil: everything allowed
}

// fetchRobots reads the start host's robots.txt. A 4xx (none there) allows
// everything; a 5xx that outlasts the retries disallows everything, as the
// robots.txt standard (RFC 9309) asks.
func fetchRobots(ctx context.Context, f *fetcher, start *url.URL, agent string) (*robots, error) {
	u := (&url.URL{Scheme: start.Scheme, Host: start.Host, Path: "/robots.txt"}).String()
	resp, err := f.get(ctx, u, nil)
	if err != nil {
		return nil, err
	}
	data, err := robotstxt.FromStatusAndBytes(resp.Status, resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", u, err)
	}
	return &robots{group: data.FindGroup(agent)}, nil
}

// allowed reports whether the path and query of u may be fetched.
func (r *robots) allowed(u string) bool {
	if r == nil || r.group == nil {
		return true
	}
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	path := p.EscapedPath()
	if path == "" {
		path = "/"
	}
	if p.RawQuery != "" {
		path += "?" + p.RawQuery
	}
	return r.group.Test(path)
}
