package parser

import (
	"bytes"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/andybalholm/cascadia"
	"github.com/saintfish/chardet"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
)

// Decoded is a page turned into UTF-8.
type Decoded struct {
	Body    []byte // UTF-8
	Charset string // the charset the page was read as
	// Invalid counts the bytes (or sequences) not valid in that charset, each
	// replaced by U+FFFD. A page with Invalid > 0 is kept but flagged.
	Invalid int
	// Guessed says that the page declared no charset and is not UTF-8: the
	// charset was detected from its bytes, and may be wrong.
	Guessed bool
}

// DecodeHTML converts a page to UTF-8 by its declared charset: the charset of
// the HTTP Content-Type first, then a byte-order mark, then a <meta> anywhere
// in the page's head (not only in its first 1024 bytes). A page that declares
// none is UTF-8 when its bytes are; else its charset is detected from the
// bytes (Cyrillic, Latin, CJK single- and multi-byte sets) and Guessed is set.
func DecodeHTML(body []byte, contentType string) Decoded {
	enc, name, certain := charset.DetermineEncoding(body, contentType)
	guessed := false
	if !certain {
		if e, n := metaCharset(body); e != nil {
			enc, name = e, n
		} else if utf8.Valid(body) {
			name = "utf-8"
		} else if e, n := detectCharset(body); e != nil {
			enc, name, guessed = e, n, true
		} else {
			guessed = true // not even a detector's guess: the HTML standard's fallback
		}
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
	return Decoded{Body: out, Charset: name, Invalid: bytes.Count(out, []byte("\uFFFD")), Guessed: guessed}
}

var metaCharsetRe = regexp.MustCompile(`(?is)<meta\s[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)`)

// metaCharset finds the charset a <meta> declares anywhere in the head (up to
// </head> or <body>, at most the first 64 KiB), like the HTML5 prescan but
// not stopped at 1024 bytes.
func metaCharset(body []byte) (encoding.Encoding, string) {
	head := body
	if len(head) > 64<<10 {
		head = head[:64<<10]
	}
	low := asciiLower(head)
	if i := bytes.Index(low, []byte("</head")); i >= 0 {
		head = head[:i]
	} else if i := bytes.Index(low, []byte("<body")); i >= 0 {
		head = head[:i]
	}
	m := metaCharsetRe.FindSubmatch(head)
	if m == nil {
		return nil, ""
	}
	enc, name := charset.Lookup(string(m[1]))
	if enc == nil {
		return nil, ""
	}
	if name == "utf-16le" || name == "utf-16be" {
		return encoding.Nop, "utf-8" // as the HTML standard says of a <meta> that claims UTF-16
	}
	return enc, name
}

// asciiLower lowers ASCII letters only, keeping every index (bytes.ToLower
// would replace invalid UTF-8 and move them).
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// detectCharset guesses the charset of a page that declares none and is not
// UTF-8. It uses github.com/saintfish/chardet (ICU's detector, already in the
// build through colly), and keeps only answers that x/net's charset knows.
func detectCharset(body []byte) (encoding.Encoding, string) {
	sample := body
	if len(sample) > 256<<10 {
		sample = sample[:256<<10]
	}
	res, err := chardet.NewHtmlDetector().DetectBest(sample)
	if err != nil || res == nil || res.Confidence < 10 {
		return nil, ""
	}
	enc, name := charset.Lookup(res.Charset)
	if enc == nil || name == "utf-8" {
		return nil, ""
	}
	return enc, name
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
// generic kind): a page with one is a challenge.
var challengeMarks = []string{
	"just a moment...", "checking your browser", "cf-browser-verification", "challenge-platform",
	"cf_chl_", "attention required! | cloudflare", "enable javascript and cookies to continue",
	"ddos protection by", "incapsula incident", "_incapsula_resource", "px-captcha", "awswaf",
	"ddos-guard", "sucuri website firewall", "triggerinterstitialchallenge", "access denied - automated",
}

// captchaMarks are widgets and phrases that a challenge shows, but that an
// ordinary page may carry too (a captcha in a search or contact form).
var captchaMarks = []string{
	"g-recaptcha", "h-captcha", "hcaptcha", "verify you are human", "are you a robot", "interstitial", "bot verification",
}

// IsChallenge reports whether a page is a bot challenge or interstitial
// rather than content: it carries a challenge service's marks, or its main
// content is a captcha — not a page that has a captcha in one of its forms.
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
	for _, m := range captchaMarks {
		if bytes.Contains(low, []byte(m)) {
			return captchaIsContent(body)
		}
	}
	return false
}

var (
	captchaSel = cascadia.MustCompile(".g-recaptcha, .h-captcha, [data-sitekey]")
	chromeSel  = cascadia.MustCompile("form, nav, header, footer, aside")
)

// captchaIsContent reports whether a page's captcha is its main content: a
// captcha widget outside any form, or a page that, forms and chrome aside,
// says next to nothing (and not that a search found nothing).
func captchaIsContent(body []byte) bool {
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return true
	}
	for _, c := range cascadia.QueryAll(doc, captchaSel) {
		inForm := false
		for n := c.Parent; n != nil; n = n.Parent {
			if n.DataAtom == atom.Form {
				inForm = true
				break
			}
		}
		if !inForm {
			return true
		}
	}
	skip := map[*html.Node]bool{}
	for _, n := range cascadia.QueryAll(doc, chromeSel) {
		skip[n] = true
	}
	var rest []string
	for _, b := range cascadia.QueryAll(doc, bodySel) {
		for _, s := range segments(b, skip) {
			rest = append(rest, s.text)
		}
	}
	text := strings.Join(rest, " ")
	return len(text) < 200 && !emptyRe.MatchString(text)
}
