package parser

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// collapseSpace trims s and turns every run of white space (Unicode's, so
// no-break spaces and newlines too) into one space.
func collapseSpace(s string) string {
	if collapsed(s) {
		return s
	}
	c := collapser{buf: make([]byte, 0, len(s))}
	c.add(s)
	return unsafe.String(unsafe.SliceData(c.buf), len(c.buf)) // c.buf is not used again
}

// collapsed reports whether collapseSpace would return s unchanged: valid
// UTF-8 with single spaces between words and none around them.
func collapsed(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case ' ':
				if i == 0 || i == len(s)-1 || s[i+1] == ' ' {
					return false
				}
			case '\t', '\n', '\r', '\f', '\v':
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || isSpace(r) {
			return false
		}
		i += size
	}
	return true
}

// collapser writes text with its white space collapsed as collapseSpace
// does, piece by piece. Invalid UTF-8 becomes U+FFFD, as ranging over the
// pieces' concatenation makes it; bad records whether a piece held any (a
// sequence cut between two pieces then reads otherwise than their
// concatenation).
type collapser struct {
	buf        []byte
	space, bad bool
}

// textBufs holds the scratch buffers of nodeText and segments.
var textBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// putBuf returns a scratch buffer to textBufs, unless it grew large.
func putBuf(bp *[]byte, b []byte) {
	if cap(b) <= 64<<10 {
		*bp = b
		textBufs.Put(bp)
	}
}

func (c *collapser) add(s string) {
	for i := 0; i < len(s); {
		ch := s[i]
		if ch < utf8.RuneSelf {
			i++
			switch ch {
			case ' ', '\t', '\n', '\r', '\f', '\v':
				c.space = len(c.buf) > 0
				continue
			}
			if c.space {
				c.buf = append(c.buf, ' ')
				c.space = false
			}
			c.buf = append(c.buf, ch)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if isSpace(r) {
			i += size
			c.space = len(c.buf) > 0
			continue
		}
		if c.space {
			c.buf = append(c.buf, ' ')
			c.space = false
		}
		if r == utf8.RuneError && size == 1 {
			c.bad = true
			c.buf = utf8.AppendRune(c.buf, r)
		} else {
			c.buf = append(c.buf, s[i:i+size]...)
		}
		i += size
	}
}

func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\f', '\v', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// skipped elements never contribute text.
func skipped(n *html.Node) bool {
	if n.Type == html.CommentNode {
		return true
	}
	if n.Type != html.ElementNode {
		return false
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Head, atom.Iframe, atom.Svg:
		return true
	}
	return false
}

// blockLevel elements break text into separate segments.
func blockLevel(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	switch n.DataAtom {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Dd, atom.Div, atom.Dl, atom.Dt,
		atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Form, atom.H1, atom.H2, atom.H3,
		atom.H4, atom.H5, atom.H6, atom.Header, atom.Hr, atom.Li, atom.Main, atom.Nav, atom.Ol, atom.P,
		atom.Pre, atom.Section, atom.Table, atom.Tbody, atom.Td, atom.Tfoot, atom.Th, atom.Thead,
		atom.Tr, atom.Ul, atom.Br, atom.Time, atom.Caption:
		return true
	}
	return false
}

// nodeText is the plain text of n: entities decoded, markup dropped, block
// boundaries made spaces, white space collapsed. Nodes in skip are left out.
func nodeText(n *html.Node, skip map[*html.Node]bool) string {
	if n.Type == html.TextNode && skip == nil {
		return collapseSpace(n.Data) // a text node alone: nothing to join
	}
	bp := textBufs.Get().(*[]byte)
	c := collapser{buf: (*bp)[:0]}
	c.walk(n, skip)
	t := string(c.buf)
	putBuf(bp, c.buf)
	if c.bad {
		return collapseSpace(rawText(n, skip))
	}
	return t
}

// walk adds the text under n, as nodeText reads it, to c.
func (c *collapser) walk(n *html.Node, skip map[*html.Node]bool) {
	if skipped(n) || skip[n] {
		return
	}
	if n.Type == html.TextNode {
		c.add(n.Data)
		return
	}
	block := blockLevel(n)
	if block {
		c.space = len(c.buf) > 0
	}
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		c.walk(ch, skip)
	}
	if block {
		c.space = len(c.buf) > 0
	}
}

// rawText is the text under n before white space is collapsed.
func rawText(n *html.Node, skip map[*html.Node]bool) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if skipped(n) || skip[n] {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			return
		}
		block := blockLevel(n)
		if block {
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if block {
			b.WriteByte(' ')
		}
	}
	walk(n)
	return b.String()
}

// segment is a run of text between block boundaries, with the element that
// holds it.
type segment struct {
	text string
	node *html.Node // the innermost block-level element around the text
}

// segments splits the text under n into runs separated by block-level
// elements, leaving out the subtrees in skip.
func segments(n *html.Node, skip map[*html.Node]bool) []segment {
	bp := textBufs.Get().(*[]byte)
	s := segmenter{skip: skip, cur: collapser{buf: (*bp)[:0]}}
	s.walk(n, n)
	s.flush()
	putBuf(bp, s.cur.buf)
	if s.cur.bad {
		return rawSegments(n, skip)
	}
	return s.out
}

// segmenter collects segments, collapsing their white space as it goes.
type segmenter struct {
	out    []segment
	cur    collapser
	raw    bool // text (perhaps only white space) since the last flush
	holder *html.Node
	skip   map[*html.Node]bool
}

func (s *segmenter) flush() {
	if len(s.cur.buf) > 0 {
		s.out = append(s.out, segment{string(s.cur.buf), s.holder})
	}
	s.cur.buf, s.cur.space = s.cur.buf[:0], false
	s.raw = false
}

func (s *segmenter) walk(n, block *html.Node) {
	if skipped(n) || s.skip[n] {
		return
	}
	if n.Type == html.TextNode {
		if !s.raw && n.Data != "" {
			s.holder, s.raw = block, true
		}
		s.cur.add(n.Data)
		return
	}
	isBlock := blockLevel(n)
	if isBlock {
		s.flush()
		block = n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		s.walk(c, block)
	}
	if isBlock {
		s.flush()
	}
}

// rawSegments is segments by way of each run's raw text, for text that is
// not valid UTF-8.
func rawSegments(n *html.Node, skip map[*html.Node]bool) []segment {
	var out []segment
	var cur strings.Builder
	var holder *html.Node
	flush := func() {
		if t := collapseSpace(cur.String()); t != "" {
			out = append(out, segment{t, holder})
		}
		cur.Reset()
	}
	var walk func(n, block *html.Node)
	walk = func(n, block *html.Node) {
		if skipped(n) || skip[n] {
			return
		}
		if n.Type == html.TextNode {
			if cur.Len() == 0 {
				holder = block
			}
			cur.WriteString(n.Data)
			return
		}
		isBlock := blockLevel(n)
		if isBlock {
			flush()
			block = n
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, block)
		}
		if isBlock {
			flush()
		}
	}
	walk(n, n)
	flush()
	return out
}

func hasClassOrAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// hasText reports whether nodeText(n, skip) != "", without building it.
func hasText(n *html.Node, skip map[*html.Node]bool) bool {
	has, ascii := asciiText(n, skip)
	if !ascii {
		return nodeText(n, skip) != "" // leave Unicode's spaces to nodeText
	}
	return has
}

// asciiText reports whether the text under n, leaving out the subtrees in
// skip, holds a character other than white space, as long as the text met
// is ASCII (ascii false: it was not).
func asciiText(n *html.Node, skip map[*html.Node]bool) (has, ascii bool) {
	if skipped(n) || skip[n] {
		return false, true
	}
	if n.Type == html.TextNode {
		for i := 0; i < len(n.Data); i++ {
			switch c := n.Data[i]; {
			case c >= utf8.RuneSelf:
				return false, false
			case c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v':
				return true, true
			}
		}
		return false, true
	}
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if has, ascii := asciiText(ch, skip); has || !ascii {
			return has, ascii
		}
	}
	return false, true
}

// atLeastWords reports whether len(strings.Fields(s)) >= n.
func atLeastWords(s string, n int) bool {
	words, space := 0, true
	for i := 0; i < len(s); {
		c := s[i]
		var sp bool
		if c < utf8.RuneSelf {
			sp = c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
			i++
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			sp = unicode.IsSpace(r)
			i += size
		}
		if !sp && space {
			if words++; words >= n {
				return true
			}
		}
		space = sp
	}
	return words >= n
}
