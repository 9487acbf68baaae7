package warc

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	gowarc "github.com/nlnwa/gowarc/v3"
)

// Capture is one page as served, read back from a WARC file.
type Capture struct {
	URL     string
	Date    time.Time
	Status  int
	Header  http.Header
	Body    []byte // the payload with transfer-encoding and content-encoding (gzip, deflate) undone; charset untouched
	Revisit bool   // it was stored as a revisit of an identical earlier payload
	File    string // the WARC file it came from (base name); Offset within it
	Offset  int64
}

// scanned is one record as scan hands it on.
type scanned struct {
	kind    string // WARC-Type
	url     string
	date    time.Time
	header  []byte // HTTP header block of request, response and revisit records
	payload []byte // raw HTTP payload of request and response records
	digest  string // WARC-Payload-Digest
	offset  int64
}

// scan calls fn for every record of the WARC file at path, in file order,
// after gowarc has verified its digests. It returns the file's size. Damage
// is an error naming the file and the offset of the record it spoils; the
// records before it have been handed on.
func scan(ctx context.Context, path string, fn func(scanned) error) (size int64, err error) {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", name, err)
	}
	rd, err := gowarc.NewWarcFileReaderFromStream(f, 0)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", name, err)
	}
	defer rd.Close()
	var offset int64
	defer func() {
		// gowarc should not panic on bad input; if it does, say where.
		if p := recover(); p != nil {
			err = fmt.Errorf("read %s at offset %d: malformed record: %v", name, offset, p)
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		rec, err := rd.Next()
		offset = rec.Offset
		if errors.Is(err, io.EOF) && rec.WarcRecord == nil {
			return st.Size(), nil
		}
		if err != nil {
			return 0, fmt.Errorf("read %s at offset %d: %w", name, offset, err)
		}
		if len(rec.Validation) > 0 {
			rec.Close()
			return 0, fmt.Errorf("read %s at offset %d: %w", name, offset, errors.Join(rec.Validation...))
		}
		s, err := scannedFrom(rec)
		rec.Close()
		if err != nil {
			return 0, fmt.Errorf("read %s at offset %d: %w", name, offset, err)
		}
		if err := fn(s); err != nil {
			return 0, err
		}
	}
}

// scannedFrom takes what scan hands on from a gowarc record.
func scannedFrom(rec gowarc.Record) (scanned, error) {
	wr := rec.WarcRecord
	h := wr.WarcHeader()
	s := scanned{
		kind:   wr.Type().String(),
		url:    h.Get(gowarc.WarcTargetURI),
		digest: h.Get(gowarc.WarcPayloadDigest),
		offset: rec.Offset,
	}
	if d := h.Get(gowarc.WarcDate); d != "" {
		t, err := time.Parse(time.RFC3339Nano, d)
		if err != nil {
			return s, fmt.Errorf("bad WARC-Date %q: %w", d, err)
		}
		s.date = t.UTC()
	}
	if b, ok := wr.Block().(gowarc.ProtocolHeaderBlock); ok {
		s.header = b.ProtocolHeaderBytes()
	}
	if s.kind == "response" || s.kind == "request" {
		b, ok := wr.Block().(gowarc.PayloadBlock)
		if !ok {
			return s, fmt.Errorf("%s record without an HTTP block", s.kind)
		}
		r, err := b.PayloadBytes()
		if err != nil {
			return s, err
		}
		if s.payload, err = io.ReadAll(r); err != nil {
			return s, err
		}
	}
	return s, nil
}

// Read calls fn for every response and revisit record in dir: files in name
// order, records in file order. A revisit is resolved to its original payload
// (found by digest in any file of dir) so fn sees the page as served.
//
// Read stops at the first error: fn's own, a damaged file (after delivering
// the records before the damage), or a revisit whose original is missing.
// Each names the file and offset.
func Read(ctx context.Context, dir string, fn func(Capture) error) error {
	files, err := warcFiles(dir)
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	var origins map[string]entry // digest -> original response; loaded at the first revisit
	for _, path := range files {
		name := filepath.Base(path)
		_, err := scan(ctx, path, func(s scanned) error {
			if s.kind != "response" && s.kind != "revisit" {
				return nil
			}
			c := Capture{URL: s.url, Date: s.date, Status: statusCode(s.header), File: name, Offset: s.offset, Revisit: s.kind == "revisit"}
			c.Header, _ = parseHeader(s.header)
			raw := s.payload
			if c.Revisit {
				if origins == nil {
					o, err := originals(dir)
					if err != nil {
						return err
					}
					origins = o
				}
				o, ok := origins[s.digest]
				if !ok {
					return fmt.Errorf("read %s at offset %d: revisit of %s: no original with payload digest %s in %s", name, s.offset, s.url, s.digest, dir)
				}
				p, err := payloadAt(ctx, filepath.Join(dir, o.Filename), o.offset())
				if err != nil {
					return fmt.Errorf("read %s at offset %d: revisit of %s: %w", name, s.offset, s.url, err)
				}
				raw = p
			}
			body, err := decodeBody(c.Header, raw)
			if err != nil {
				return fmt.Errorf("read %s at offset %d: %s: %w", name, s.offset, s.url, err)
			}
			c.Body = body
			return fn(c)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// originals maps each payload digest to the first response record of dir
// that carries it.
func originals(dir string) (map[string]entry, error) {
	entries, err := loadIndexes(dir)
	if err != nil {
		return nil, err
	}
	m := make(map[string]entry)
	for _, e := range entries {
		if e.Mime == revisitMime {
			continue
		}
		if _, ok := m[e.Digest]; !ok {
			m[e.Digest] = e
		}
	}
	return m, nil
}

// payloadAt returns the raw HTTP payload of the response record at offset in
// the WARC file at path.
func payloadAt(ctx context.Context, path string, offset int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd, err := gowarc.NewWarcFileReaderFromStream(f, offset)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rec, err := rd.Next()
	if err != nil {
		return nil, fmt.Errorf("original in %s at offset %d: %w", filepath.Base(path), offset, err)
	}
	defer rec.Close()
	s, err := scannedFrom(rec)
	if err != nil || s.kind != "response" {
		return nil, fmt.Errorf("original in %s at offset %d: not a response record (%v)", filepath.Base(path), offset, err)
	}
	return s.payload, nil
}

// parseHeader parses the fields of an HTTP header block (after its first
// line). It returns what it could parse and any error.
func parseHeader(block []byte) (http.Header, error) {
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(block)))
	if _, err := tp.ReadLine(); err != nil {
		return http.Header{}, err
	}
	h, err := tp.ReadMIMEHeader()
	if h == nil {
		h = textproto.MIMEHeader{}
	}
	return http.Header(h), err
}

// decodeBody undoes chunked transfer encoding and then gzip or deflate
// content encoding of a raw payload, as h declares them.
func decodeBody(h http.Header, raw []byte) ([]byte, error) {
	body := raw
	if strings.EqualFold(strings.TrimSpace(h.Get("Transfer-Encoding")), "chunked") {
		b, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(raw)))
		if err != nil {
			return nil, fmt.Errorf("undo chunked transfer encoding: %w", err)
		}
		body = b
	}
	if len(body) == 0 {
		return body, nil
	}
	switch enc := strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding"))); enc {
	case "", "identity":
		return body, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("undo gzip content encoding: %w", err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("undo gzip content encoding: %w", err)
		}
		return b, nil
	case "deflate":
		// Servers send either zlib (as RFC 9110 says) or raw deflate.
		if zr, err := zlib.NewReader(bytes.NewReader(body)); err == nil {
			if b, err := io.ReadAll(zr); err == nil {
				return b, nil
			}
		}
		b, err := io.ReadAll(flate.NewReader(bytes.NewReader(body)))
		if err != nil {
			return nil, fmt.Errorf("undo deflate content encoding: %w", err)
		}
		return b, nil
	default:
		return nil, fmt.Errorf("content encoding %q not supported", enc)
	}
}
