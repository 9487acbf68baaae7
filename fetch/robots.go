package fetch

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/temoto/robotstxt"
)

// Robots is a host's robots.txt as it applies to one User-Agent. The nil
// *Robots allows everything.
type Robots struct {
	group *robotstxt.Group
	// none: nothing may be fetched (robots.txt answered 5xx, RFC 9309).
	none bool
}

// FetchRobots reads the robots.txt of the host of start. A 4xx (none there)
// allows everything; a 5xx that outlasts the retries disallows everything,
// as the robots.txt standard (RFC 9309) asks.
func FetchRobots(ctx context.Context, cl *Client, start *url.URL, agent string) (*Robots, error) {
	u := (&url.URL{Scheme: start.Scheme, Host: start.Host, Path: "/robots.txt"}).String()
	resp, err := cl.Get(ctx, u, nil)
	if err != nil {
		return nil, err
	}
	r, err := ParseRobots(resp.Status, resp.Body, agent)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	return r, nil
}

// ParseRobots reads a robots.txt answer of the given status.
func ParseRobots(status int, body []byte, agent string) (*Robots, error) {
	// The library's group lookup ignores the verdict it draws from the
	// status (its disallow-all flag is never read), so the status is
	// judged here.
	switch {
	case status >= 500:
		return &Robots{none: true}, nil
	case status >= 400:
		return &Robots{}, nil
	case status < 200 || status >= 300:
		return nil, fmt.Errorf("robots.txt answered HTTP %d", status)
	}
	data, err := robotstxt.FromBytes(body)
	if err != nil {
		return nil, fmt.Errorf("parse robots.txt: %w", err)
	}
	return &Robots{group: data.FindGroup(agent)}, nil
}

// Allowed reports whether the path and query of u may be fetched.
func (r *Robots) Allowed(u string) bool {
	if r == nil {
		return true
	}
	if r.none {
		return false
	}
	if r.group == nil {
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

// DisallowsAll reports whether nothing may be fetched.
func (r *Robots) DisallowsAll() bool { return r != nil && r.none }

// CrawlDelay is the delay robots.txt asks of this agent; 0 when none.
func (r *Robots) CrawlDelay() time.Duration {
	if r == nil || r.group == nil {
		return 0
	}
	return r.group.CrawlDelay
}
