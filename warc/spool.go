package warc

import (
	"compress/gzip"
	"crypto/sha1"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// maxSpooledHeader bounds the HTTP header block of a spooled response.
const maxSpooledHeader = 1 << 20

// WriteSpooled records ex as Write does, but with its response read from
// response (size bytes: the status line, header fields and body exactly as
// received) rather than held in ex.Response: a large download (an
// attachment of hundreds of megabytes) goes from a file on disk into the
// WARC file in pieces, never whole in memory. It reads response twice:
// once for the digests, once to compress it. The file stays locked while
// the record is written, so that other writes wait for a large one.
func (w *Writer) WriteSpooled(ex Exchange, response io.ReaderAt, size int64) error {
	if ex.URL == "" {
		return errors.New("write exchange: no URL")
	}
	if size <= 0 {
		return fmt.Errorf("write exchange %s: empty response", ex.URL)
	}
	if err := checkURL(ex.URL); err != nil {
		return fmt.Errorf("write exchange %s: %w", ex.URL, err)
	}
	if err := checkIP(ex.IP); err != nil {
		return fmt.Errorf("write exchange %s: %w", ex.URL, err)
	}
	head := make([]byte, min(size, maxSpooledHeader))
	if n, err := response.ReadAt(head, 0); n < len(head) {
		return fmt.Errorf("write exchange %s: read response: %w", ex.URL, err)
	}
	header, _, ok := splitHTTP(head)
	if !ok {
		return fmt.Errorf("write exchange %s: response: missing blank line at end of HTTP header", ex.URL)
	}
	header = append([]byte(nil), header...)
	payloadLen := size - int64(len(header))
	block, payload := sha1.New(), sha1.New()
	block.Write(header)
	if _, err := io.Copy(io.MultiWriter(block, payload), io.NewSectionReader(response, int64(len(header)), payloadLen)); err != nil {
		return fmt.Errorf("write exchange %s: read response: %w", ex.URL, err)
	}
	digest := emptyDigest
	if payloadLen > 0 {
		digest = "sha1:" + base32.StdEncoding.EncodeToString(payload.Sum(nil))
	}
	if ex.Date.IsZero() {
		ex.Date = w.opts.now()
	}
	ex.Date = ex.Date.UTC().Truncate(time.Second)

	enc := encoders.Get().(*encoder)
	defer enc.release()
	reqID, respID := newRecordID(), newRecordID()
	req, err := requestRecord(enc.heads[0], &enc.hasher, recordHeader{id: reqID, concurrent: respID, url: ex.URL, date: ex.Date, ip: ex.IP}, ex.Request)
	if err != nil {
		return fmt.Errorf("write exchange %s: %w", ex.URL, err)
	}
	enc.heads[0] = req.head
	var orig, claim *original
	if dedupable(statusCode(header), digest) {
		orig, claim = w.claim(digest, original{url: ex.URL, date: ex.Date.Format(time.RFC3339), id: respID})
	}
	written := false
	if claim != nil {
		defer func() { w.settle(digest, claim, written) }()
	}
	revisit := orig != nil
	rh := recordHeader{id: respID, concurrent: reqID, url: ex.URL, date: ex.Date, ip: ex.IP}
	var resp record
	if revisit {
		resp = revisitRecord(enc.heads[1], &enc.hasher, rh, header, digest, orig)
	} else {
		b := appendStart(enc.heads[1][:0], "response", rh)
		b = appendField(b, "Content-Type", responseMimeType)
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, size, 10)
		b = append(b, "\r\n"...)
		b = appendDigest(append(b, "WARC-Block-Digest: "...), block.Sum(nil))
		b = append(b, "\r\n"...)
		b = appendField(b, "WARC-Payload-Digest", digest)
		resp = record{head: b}
	}
	enc.heads[1] = resp.head
	e := newEntry(ex.URL, ex.Date, revisit, header, digest, 0, 0, "")

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("write exchange %s: writer closed", ex.URL)
	}
	if w.file == nil {
		if err := w.create(); err != nil {
			return fmt.Errorf("write exchange %s: %w", ex.URL, err)
		}
	}
	recs := []record{req}
	if revisit {
		recs = append(recs, resp)
	}
	split, err := enc.encode(w.infoID, recs...)
	if err != nil {
		return fmt.Errorf("write exchange %s: %w", ex.URL, err)
	}
	start := w.out.n
	if _, err := w.out.Write(enc.buf.Bytes()); err != nil {
		return fmt.Errorf("write exchange %s to %s: %w", ex.URL, w.name, err)
	}
	off := start + int64(split)
	if !revisit {
		// The response record, its own gzip member, compressed as it is read.
		off = w.out.n
		gz, _ := gzip.NewWriterLevel(&w.out, gzip.BestSpeed) // a valid level: cannot fail
		gz.Write(resp.head)
		if w.infoID != "" {
			io.WriteString(gz, "WARC-Warcinfo-ID: "+w.infoID+"\r\n")
		}
		gz.Write(crlf2[:2])
		if _, err := io.Copy(gz, io.NewSectionReader(response, 0, size)); err != nil {
			return fmt.Errorf("write exchange %s to %s: %w", ex.URL, w.name, err)
		}
		gz.Write(crlf2)
		if err := gz.Close(); err != nil {
			return fmt.Errorf("write exchange %s to %s: %w", ex.URL, w.name, err)
		}
	}
	written = true
	return w.recorded(ex.URL, e, start, off, revisit)
}
