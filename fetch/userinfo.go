package fetch

import (
	"net/url"
	"strings"
)

// SplitUserinfo takes the credentials (user:password@) out of a URL's
// authority and returns the URL without them and the credentials (nil when
// there were none). It works on the text, before any parsing, so that a
// password holding '#', '?' or '@' — which defeat url.Parse — is taken out
// whole, and so that no error about the URL can ever quote it: the
// credentials end at the last '@' before the path's first '/' that a host
// follows. (A '/' in a password must be written %2F, as RFC 3986 says.)
func SplitUserinfo(raw string) (string, *url.Userinfo) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw, nil
	}
	auth := raw[i+3:]
	if slash := strings.IndexByte(auth, '/'); slash >= 0 {
		auth = auth[:slash]
	}
	for at := strings.LastIndexByte(auth, '@'); at >= 0; at = strings.LastIndexByte(auth[:at], '@') {
		host := auth[at+1:]
		if end := strings.IndexAny(host, "?#"); end >= 0 {
			host = host[:end]
		}
		if host == "" || !hostLike(host) {
			continue
		}
		userinfo := auth[:at]
		var u *url.Userinfo
		if name, pass, ok := strings.Cut(userinfo, ":"); ok {
			u = url.UserPassword(unescape(name), unescape(pass))
		} else {
			u = url.User(unescape(userinfo))
		}
		return raw[:i+3] + raw[i+3+at+1:], u
	}
	return raw, nil
}

// hostLike reports whether s can be a host[:port] (a name, an IPv4 address
// or a bracketed IPv6 address).
func hostLike(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune(".-:[]_%", r):
		case r > 127: // an IDN
		default:
			return false
		}
	}
	return true
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// Redact returns raw with any credentials in its authority taken out.
func Redact(raw string) string {
	out, _ := SplitUserinfo(raw)
	return out
}
