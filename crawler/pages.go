package crawler

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/harvest-archive/harvest"
)

// listingURL is the one form in which listing URLs are kept and compared:
// canonical (see harvest.CanonicalURL) with the query parameters sorted by
// name, so that a pager link and a page URL harvest makes are the same string.
func listingURL(base *url.URL, ref string) (string, error) {
	c, err := harvest.CanonicalURL(base, ref)
	if err != nil {
		return "", err
	}
	u, _ := url.Parse(c)
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return "", fmt.Errorf("query of %s: %w", ref, err)
		}
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// withQuery adds the parameters of query (a query string) to the listing URL u.
func withQuery(u, query string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	add, err := url.ParseQuery(query)
	if err != nil {
		return "", err
	}
	q := p.Query()
	for k, v := range add {
		q[k] = v
	}
	p.RawQuery = q.Encode()
	return listingURL(nil, p.String())
}

// pattern is how a listing numbers its pages.
type pattern struct {
	url   func(k int) string         // the URL of page k (0-based)
	index func(u string) (int, bool) // the page number of a listing URL
}

// pagePattern works out how a listing numbers its pages from its first page's
// URL and its next link: exactly one query parameter must differ, holding
// the second page's number. It knows page indexes from 0 (Drupal's page=1 on
// the second page) or 1 (page=2), and offsets from 0 (start=10) or 1
// (start=11).
func pagePattern(first, second string, perPage int) (*pattern, bool) {
	a, err1 := url.Parse(first)
	b, err2 := url.Parse(second)
	if err1 != nil || err2 != nil || a.Path != b.Path || a.Host != b.Host || perPage < 1 {
		return nil, false
	}
	qa, qb := a.Query(), b.Query()
	param, val := "", 0
	for k, v := range qb {
		if len(v) == 1 && (len(qa[k]) != 1 || qa[k][0] != v[0]) {
			n, err := strconv.Atoi(v[0])
			if err != nil || param != "" {
				return nil, false
			}
			param, val = k, n
		}
	}
	for k := range qa {
		if _, ok := qb[k]; !ok && k != param {
			return nil, false
		}
	}
	if param == "" {
		return nil, false
	}
	var value func(k int) int
	var number func(v int) (int, bool)
	switch val {
	case 1:
		value = func(k int) int { return k }
		number = func(v int) (int, bool) { return v, true }
	case 2:
		value = func(k int) int { return k + 1 }
		number = func(v int) (int, bool) { return v - 1, true }
	case perPage:
		value = func(k int) int { return k * perPage }
		number = func(v int) (int, bool) { return v / perPage, v%perPage == 0 }
	case perPage + 1:
		value = func(k int) int { return k*perPage + 1 }
		number = func(v int) (int, bool) { return (v - 1) / perPage, (v-1)%perPage == 0 }
	default:
		return nil, false
	}
	return &pattern{
		url: func(k int) string {
			q := b.Query()
			q.Set(param, strconv.Itoa(value(k)))
			u := *b
			u.RawQuery = q.Encode()
			s, _ := listingURL(nil, u.String())
			return s
		},
		index: func(s string) (int, bool) {
			u, err := url.Parse(s)
			if err != nil || u.Path != b.Path || u.Host != b.Host {
				return 0, false
			}
			q := u.Query()
			v, err := strconv.Atoi(q.Get(param))
			if err != nil || len(q[param]) != 1 {
				return 0, false
			}
			q.Set(param, strconv.Itoa(val))
			if q.Encode() != qb.Encode() { // other parameters must be the same
				return 0, false
			}
			return number(v)
		},
	}, true
}

// sameHost reports whether u is on host (host:port, case-insensitive).
func sameHost(u, host string) bool {
	p, err := url.Parse(u)
	return err == nil && strings.EqualFold(p.Host, host)
}
