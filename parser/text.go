package parser

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// collapseSpace trims s and turns every run of white space (Unicode's, so
// no-break spaces and newlines too) into one space.
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if isSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
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
	return collapseSpace(b.String())
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
