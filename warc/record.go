package warc

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The write path marshals WARC records itself: gowarc's record builder
// copied every block into its own buffer, hashed it up to five times and
// re-validated every header field, which cost more than compressing the
// record. Every record written here is checked against gowarc's strict
// reader in the tests (TestStrictReaderAcceptsEveryRecordType) and against
// warcio in CI.

// Values of record header fields.
const (
	warcVersion      = "WARC/1.1\r\n"
	revisitProfile   = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
	requestMimeType  = "application/http;msgtype=request"
	responseMimeType = "application/http;msgtype=response"
	warcFieldsType   = "application/warc-fields"
)

// emptyDigest is the payload digest of an empty payload; it never counts as
// a duplicate.
var emptyDigest = sha1Digest(nil)

// sha1Digest returns "sha1:" and the base32 SHA-1 of p, the form WARC tools
// expect.
func sha1Digest(p []byte) string {
	sum := sha1.Sum(p)
	return "sha1:" + base32.StdEncoding.EncodeToString(sum[:])
}

// appendDigest appends "sha1:" and the base32 form of sum to b.
func appendDigest(b []byte, sum []byte) []byte {
	b = append(b, "sha1:"...)
	return base32.StdEncoding.AppendEncode(b, sum)
}

// splitHTTP splits a raw HTTP message into its header block (status or
// request line, header fields and the blank line) and its payload. It ends
// the header block at the first empty line, as gowarc and warcio do. ok is
// false when the message has no blank line.
func splitHTTP(msg []byte) (header, payload []byte, ok bool) {
	rest := msg
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		line := rest[:i+1]
		rest = rest[i+1:]
		if string(line) == "\r\n" || string(line) == "\n" {
			n := len(msg) - len(rest)
			return msg[:n], msg[n:], true
		}
	}
	return msg, nil, false
}

// statusCode returns the status code of a raw HTTP response, or 0 when the
// status line cannot be parsed.
func statusCode(resp []byte) int {
	line, _, _ := bytes.Cut(resp, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 2 || !bytes.HasPrefix(f[0], []byte("HTTP/")) {
		return 0
	}
	n, err := strconv.Atoi(string(f[1]))
	if err != nil {
		return 0
	}
	return n
}

// newRecordID returns a fresh WARC-Record-ID value: a random (version 4)
// UUID as a URN in angle brackets. It does not use github.com/google/uuid,
// whose random pool gowarc switches on unsynchronized.
func newRecordID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	const prefix = "<urn:uuid:"
	var b [len(prefix) + 36 + 1]byte
	copy(b[:], prefix)
	p := b[len(prefix):]
	hex.Encode(p[0:8], u[0:4])
	p[8] = '-'
	hex.Encode(p[9:13], u[4:6])
	p[13] = '-'
	hex.Encode(p[14:18], u[6:8])
	p[18] = '-'
	hex.Encode(p[19:23], u[8:10])
	p[23] = '-'
	hex.Encode(p[24:36], u[10:16])
	b[len(b)-1] = '>'
	return string(b[:])
}

// checkURL reports whether target can be a WARC-Target-URI: it must begin
// with a scheme (as the WHATWG URL parser gowarc validates with requires)
// and hold no control characters, which would break the record header.
func checkURL(target string) error {
	colon := strings.IndexByte(target, ':')
	if colon < 1 || !isAlpha(target[0]) {
		return errors.New("URL has no scheme")
	}
	for i := 1; i < colon; i++ {
		if c := target[i]; !isAlpha(c) && !('0' <= c && c <= '9') && c != '+' && c != '-' && c != '.' {
			return errors.New("URL has no scheme")
		}
	}
	if hasCTL(target) {
		return errors.New("URL holds a control character")
	}
	return nil
}

// isAlpha reports whether c is an ASCII letter.
func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// hasCTL reports whether s holds an ASCII control character.
func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// checkIP reports whether ip ("" for unknown) can be a WARC-IP-Address.
func checkIP(ip string) error {
	if ip == "" {
		return nil
	}
	if a, err := netip.ParseAddr(ip); err != nil || a.Zone() != "" {
		return fmt.Errorf("illegal IP address %q", ip)
	}
	return nil
}

// recordHeader is what every record of one exchange shares.
type recordHeader struct {
	id         string
	concurrent string // the other record of the exchange
	url        string
	date       time.Time
	ip         string
}

// record is one WARC record ready to compress: its header fields but
// WARC-Warcinfo-ID (which depends on the file it lands in), and its block.
type record struct {
	head  []byte // "WARC/1.1\r\n" and header fields, each ending in CRLF
	block []byte
	// stored: kept in its gzip member uncompressed. A request record is a
	// few hundred bytes that compressing costs more CPU (a Huffman table
	// each) than the bytes it saves; a revisit, the same size, is kept
	// compressed, since revisits are what a nightly re-harvest adds.
	stored bool
}

// appendField appends "name: value\r\n" to b.
func appendField(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, "\r\n"...)
}

// appendStart appends the version line and the fields every record of an
// exchange carries.
func appendStart(b []byte, typ string, h recordHeader) []byte {
	b = append(b, warcVersion...)
	b = appendField(b, "WARC-Type", typ)
	b = appendField(b, "WARC-Record-ID", h.id)
	b = append(b, "WARC-Date: "...)
	b = h.date.AppendFormat(b, time.RFC3339)
	b = append(b, "\r\n"...)
	b = appendField(b, "WARC-Target-URI", h.url)
	if h.ip != "" {
		b = appendField(b, "WARC-IP-Address", h.ip)
	}
	if h.concurrent != "" {
		b = appendField(b, "WARC-Concurrent-To", h.concurrent)
	}
	return b
}

// appendEnd appends Content-Type, Content-Length and the digests.
// payloadDigest is left out when "".
func appendEnd(b []byte, contentType string, length int, blockSum []byte, payloadDigest string) []byte {
	b = appendField(b, "Content-Type", contentType)
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(length), 10)
	b = append(b, "\r\n"...)
	b = append(b, "WARC-Block-Digest: "...)
	b = appendDigest(b, blockSum)
	b = append(b, "\r\n"...)
	if payloadDigest != "" {
		b = appendField(b, "WARC-Payload-Digest", payloadDigest)
	}
	return b
}

// hasher computes the SHA-1 digests of records; its sums avoid allocating.
type hasher struct {
	h   hash.Hash
	sum [sha1.Size]byte
}

// blockSum returns the SHA-1 of the concatenated parts; valid until the
// next call.
func (s *hasher) blockSum(parts ...[]byte) []byte {
	if s.h == nil {
		s.h = sha1.New()
	}
	s.h.Reset()
	for _, p := range parts {
		s.h.Write(p)
	}
	return s.h.Sum(s.sum[:0])
}

// requestRecord builds the request record of an exchange into buf. Its
// block is raw, which must hold a blank line ending the HTTP header.
func requestRecord(buf []byte, s *hasher, h recordHeader, raw []byte) (record, error) {
	header, payload, ok := splitHTTP(raw)
	if !ok {
		return record{}, errors.New("request: missing blank line at end of HTTP header")
	}
	pd := emptyDigest
	if len(payload) > 0 {
		pd = sha1Digest(payload)
	}
	b := appendStart(buf[:0], "request", h)
	b = appendEnd(b, requestMimeType, len(raw), s.blockSum(header, payload), pd)
	return record{head: b, block: raw, stored: len(raw) < smallRecord}, nil
}

// responseRecord builds the response record of an exchange into buf: raw
// is the response as received, split into its HTTP header and payload, and
// digest the payload's. Each byte is hashed once for the block digest and
// the payload's bytes once more for digest, by the caller.
func responseRecord(buf []byte, s *hasher, h recordHeader, raw, header, payload []byte, digest string) record {
	b := appendStart(buf[:0], "response", h)
	b = appendEnd(b, responseMimeType, len(raw), s.blockSum(header, payload), digest)
	return record{head: b, block: raw}
}

// original is the capture a revisit refers to.
type original struct {
	url  string
	date string // WARC-Date form
	id   string // WARC-Record-ID; "" when unknown (learned from an index)

	// done is closed once the capture's Write has ended, ok telling whether
	// it wrote the record; nil for a capture already on disk.
	done chan struct{}
	ok   bool
}

// revisitRecord builds into buf a revisit record holding only the HTTP
// header block of a response whose payload (with digest) equals that of
// orig.
func revisitRecord(buf []byte, s *hasher, h recordHeader, header []byte, digest string, orig *original) record {
	b := appendStart(buf[:0], "revisit", h)
	b = appendField(b, "WARC-Profile", revisitProfile)
	if orig.id != "" {
		b = appendField(b, "WARC-Refers-To", orig.id)
	}
	b = appendField(b, "WARC-Refers-To-Target-URI", orig.url)
	b = appendField(b, "WARC-Refers-To-Date", orig.date)
	b = appendEnd(b, responseMimeType, len(header), s.blockSum(header), digest)
	return record{head: b, block: header}
}

// warcinfoRecord builds the warcinfo record that opens a file; it returns
// the record and its ID. Control characters in software and info are
// replaced by spaces so that each stays one warc-fields line.
func warcinfoRecord(filename, software string, info map[string]string, now time.Time) (record, string) {
	var body bytes.Buffer
	field := func(k, v string) {
		body.WriteString(noCTL(k))
		body.WriteString(": ")
		body.WriteString(noCTL(v))
		body.WriteString("\r\n")
	}
	field("software", software)
	field("format", "WARC File Format 1.1")
	field("conformsTo", "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/")
	for _, k := range slices.Sorted(maps.Keys(info)) {
		field(k, info[k])
	}
	id := newRecordID()
	var s hasher
	b := append([]byte(nil), warcVersion...)
	b = appendField(b, "WARC-Type", "warcinfo")
	b = appendField(b, "WARC-Record-ID", id)
	b = append(b, "WARC-Date: "...)
	b = now.UTC().Truncate(time.Second).AppendFormat(b, time.RFC3339)
	b = append(b, "\r\n"...)
	b = appendField(b, "WARC-Filename", filename)
	b = appendEnd(b, warcFieldsType, body.Len(), s.blockSum(body.Bytes()), "")
	return record{head: b, block: body.Bytes()}, id
}

// noCTL returns s with control characters replaced by spaces.
func noCTL(s string) string {
	if !hasCTL(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
