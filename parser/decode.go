package parser

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
)

// Decoded is a page turned into UTF-8.
type Decoded struct {
	Body    []byte // UTF-8
	Charset string // the charset the page was read as
	// Invalid counts the bytes (or sequences) not valid in that charset, each
	// replaced by U+FFFD. A page with Invalid > 0 is kept but flagged.
	Invalid int
}

// DecodeHTML converts a page to UTF-8 by its declared charset: the charset of
// the HTTP Content-Type first, then a byte-order mark or <meta> in the page,
// else UTF-8 (or windows-1252 when the bytes are not UTF-8).
func DecodeHTML(body []byte, contentType string) Decoded {
	enc, name, certain := charset.DetermineEncoding(body, contentType)
	if !certain && utf8.Valid(body) {
		name = "utf-8"
	}
	if name == "utf-8" {
		body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
		if utf8.Valid(body) {
			return Decoded{Body: body, Charset: name}
		}
		return Decoded{Body: []byte(strings.ToValidUTF8(string(body), "\uFFFD")), Charset: name, Invalid: countInvalidUTF8(body)}
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		// The x/text decoders replace what they cannot map rather than fail;
		// an error here is a decoder that cannot run at all.
		return Decoded{Body: []byte(strings.ToValidUTF8(string(body), "\uFFFD")), Charset: "utf-8", Invalid: countInvalidUTF8(body)}
	}
	return Decoded{Body: out, Charset: name, Invalid: bytes.Count(out, []byte("\uFFFD"))}
}

func countInvalidUTF8(b []byte) int {
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			n++
		}
		b = b[size:]
	}
	return n
}

// challengeMarks are strings that bot challenges and interstitials carry
// (Cloudflare, Imperva/Incapsula, Akamai, AWS WAF, DDoS-Guard, Sucuri and the
// generic kind).
var challengeMarks = []string{
	"just a moment...", "checking your browser", "cf-browser-verification", "challenge-platform",
	"cf_chl_", "attention required! | cloudflare", "enable javascript and cookies to continue",
	"ddos protection by", "incapsula incident", "_incapsula_resource", "verify you are human",
	"are you a robot", "px-captcha", "awswaf", "ddos-guard", "sucuri website firewall",
	"interstitial", "bot verification", "access denied - automated", "g-recaptcha", "h-captcha", "hcaptcha",
}

// IsChallenge reports whether a page is a bot challenge or interstitial
// rather than content.
func IsChallenge(body []byte) bool {
	if len(body) > 64<<10 {
		body = body[:64<<10]
	}
	low := bytes.ToLower(body)
	for _, m := range challengeMarks {
		if bytes.Contains(low, []byte(m)) {
			return true
		}
	}
	return false
}
