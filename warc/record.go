package warc

import (
	"bytes"
	"crypto/sha1"
	"encoding/base32"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	gowarc "github.com/nlnwa/gowarc/v3"
)

// revisitProfile is the WARC 1.1 profile of a revisit whose payload is
// identical to an earlier capture's.
const revisitProfile = gowarc.ProfileIdenticalPayloadDigestV1_1

// emptyDigest is the payload digest of an empty payload; it never counts as
// a duplicate.
var emptyDigest = sha1Digest(nil)

// recordOptions are the gowarc options for every record we build: SHA-1
// digests in base32, added when missing.
var recordOptions = []gowarc.WarcRecordOption{
	gowarc.WithDefaultDigestAlgorithm("sha1"),
	gowarc.WithDefaultDigestEncoding(gowarc.Base32),
	gowarc.WithAddMissingDigest(true),
	gowarc.WithAddMissingContentLength(true),
}

// builderMu serializes gowarc.NewRecordBuilder, which writes a package
// variable of github.com/google/uuid (EnableRandPool) without
// synchronization. Building the record (digests) still runs in parallel.
var builderMu sync.Mutex

// newBuilder returns a gowarc record builder of type t with recordOptions.
func newBuilder(t gowarc.RecordType) gowarc.WarcRecordBuilder {
	builderMu.Lock()
	defer builderMu.Unlock()
	return gowarc.NewRecordBuilder(t, recordOptions...)
}

// sha1Digest returns "sha1:" and the base32 SHA-1 of p, the form WARC tools
// expect.
func sha1Digest(p []byte) string {
	sum := sha1.Sum(p)
	return "sha1:" + base32.StdEncoding.EncodeToString(sum[:])
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
		if len(line) < 3 { // "\r\n" or "\n"
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

// newRecordID returns a fresh WARC-Record-ID value.
func newRecordID() string {
	return "<urn:uuid:" + uuidString() + ">"
}

// recordHeader is what every record of one exchange shares.
type recordHeader struct {
	id         string
	concurrent string // the other record of the exchange
	url        string
	date       time.Time
	ip         string
}

// apply adds h's fields to b.
func (h recordHeader) apply(b gowarc.WarcRecordBuilder) {
	b.AddWarcHeader(gowarc.WarcRecordID, h.id)
	b.AddWarcHeaderTime(gowarc.WarcDate, h.date)
	b.AddWarcHeader(gowarc.WarcTargetURI, h.url)
	if h.ip != "" {
		b.AddWarcHeader(gowarc.WarcIPAddress, h.ip)
	}
	if h.concurrent != "" {
		b.AddWarcHeader(gowarc.WarcConcurrentTo, h.concurrent)
	}
}

// build finishes b, turning validation findings into an error: we never write
// a record that gowarc itself would flag.
func build(b gowarc.WarcRecordBuilder, what string) (gowarc.WarcRecord, error) {
	rec, findings, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("build %s record: %w", what, err)
	}
	if len(findings) > 0 {
		_ = rec.Close()
		return nil, fmt.Errorf("build %s record: %v", what, findings[0])
	}
	return rec, nil
}

// requestRecord builds the request record of an exchange.
func requestRecord(h recordHeader, raw []byte) (gowarc.WarcRecord, error) {
	b := newBuilder(gowarc.Request)
	h.apply(b)
	b.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=request")
	if _, err := b.Write(raw); err != nil {
		return nil, fmt.Errorf("build request record: %w", err)
	}
	return build(b, "request")
}

// responseRecord builds the response record of an exchange; the block is raw
// exactly as given.
func responseRecord(h recordHeader, raw []byte) (gowarc.WarcRecord, error) {
	b := newBuilder(gowarc.Response)
	h.apply(b)
	b.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=response")
	if _, err := b.Write(raw); err != nil {
		return nil, fmt.Errorf("build response record: %w", err)
	}
	return build(b, "response")
}

// original is the capture a revisit refers to.
type original struct {
	url  string
	date string // WARC-Date form
}

// revisitRecord builds a revisit record holding only the HTTP header block of
// a response whose payload (with digest) equals that of orig.
func revisitRecord(h recordHeader, header []byte, digest string, orig original) (gowarc.WarcRecord, error) {
	b := newBuilder(gowarc.Revisit)
	h.apply(b)
	b.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=response")
	b.AddWarcHeader(gowarc.WarcProfile, revisitProfile)
	b.AddWarcHeader(gowarc.WarcRefersToTargetURI, orig.url)
	b.AddWarcHeader(gowarc.WarcRefersToDate, orig.date)
	b.AddWarcHeader(gowarc.WarcPayloadDigest, digest)
	if _, err := b.Write(header); err != nil {
		return nil, fmt.Errorf("build revisit record: %w", err)
	}
	return build(b, "revisit")
}

// warcinfoRecord builds the warcinfo record that opens a file.
func warcinfoRecord(filename, software string, info map[string]string, now time.Time) (gowarc.WarcRecord, error) {
	b := newBuilder(gowarc.Warcinfo)
	b.AddWarcHeader(gowarc.WarcRecordID, newRecordID())
	b.AddWarcHeaderTime(gowarc.WarcDate, now)
	b.AddWarcHeader(gowarc.WarcFilename, filename)
	b.AddWarcHeader(gowarc.ContentType, gowarc.ApplicationWarcFields)
	var body bytes.Buffer
	fmt.Fprintf(&body, "software: %s\r\n", software)
	body.WriteString("format: WARC File Format 1.1\r\n")
	body.WriteString("conformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n")
	for _, k := range slices.Sorted(maps.Keys(info)) {
		fmt.Fprintf(&body, "%s: %s\r\n", k, info[k])
	}
	if _, err := b.Write(body.Bytes()); err != nil {
		return nil, fmt.Errorf("build warcinfo record: %w", err)
	}
	return build(b, "warcinfo")
}
