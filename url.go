package harvest

import (
	"fmt"
	"net/url"
	"strings"
)

// CanonicalURL resolves ref against base and returns the canonical form used
// as a record key: absolute, fragment dropped, scheme and host lower-cased,
// a default port (:80 for http, :443 for https) removed, an empty path made "/".
func CanonicalURL(base *url.URL, ref string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return "", fmt.Errorf("parse url %q: %w", ref, err)
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if !u.IsAbs() || u.Host == "" {
		return "", fmt.Errorf("url %q is not absolute", ref)
	}
	u.Fragment = ""
	u.RawFragment = ""
	u.Scheme = strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	if (u.Scheme == "http" && strings.HasSuffix(host, ":80")) || (u.Scheme == "https" && strings.HasSuffix(host, ":443")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	u.Host = host
	if u.Path == "" && u.RawPath == "" {
		u.Path = "/"
	}
	return u.String(), nil
}
