package warc

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/klauspost/compress/gzip"
)

// ReadLatest calls fn for the latest good capture of every URL in dir that
// keep accepts (nil keeps all): the latest response or revisit record with
// status 200 by date (a later file, then a later record, wins a tie), with
// a revisit resolved to its original payload — a 304 or an error page
// captured since does not hide the page as last served. It finds them through the CDXJ indexes (computing those that are
// missing) and reads only those records, in file order: re-reading a mirror
// harvested every night costs one read per page, not one per night.
//
// A record that cannot be read (damaged, or a revisit whose original is
// gone) does not stop the others: its error, naming the file and offset,
// is returned with the rest, joined, at the end. An error from fn stops
// at once.
func ReadLatest(ctx context.Context, dir string, keep func(url string) bool, fn func(Capture) error) error {
	// Captures a crashed writer left open are finished first, so that
	// they count.
	if _, err := recoverOpen(ctx, dir); err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	return ReadLatestAsIs(ctx, dir, keep, fn)
}

// ReadLatestAsIs is ReadLatest for a reader that must write nothing (harvest
// serve): files a crashed writer left open are not finished, and their
// captures are not read, until a crawl or `harvest warc index` finishes them.
func ReadLatestAsIs(ctx context.Context, dir string, keep func(url string) bool, fn func(Capture) error) error {
	entries, err := loadIndexes(dir)
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	latest := map[string]int{}       // URL -> index into entries
	later := func(a, b entry) bool { // a captured after b
		return cmp.Or(cmp.Compare(a.timestamp, b.timestamp), cmp.Compare(a.Filename, b.Filename), cmp.Compare(a.offset(), b.offset())) > 0
	}
	for i, e := range entries {
		if e.status() != 200 || (keep != nil && !keep(e.URL)) {
			continue
		}
		j, seen := latest[e.URL]
		if !seen || later(e, entries[j]) {
			latest[e.URL] = i
		}
	}
	origins := map[string]entry{}
	for _, e := range entries {
		if _, ok := origins[e.Digest]; !ok && e.Mime != revisitMime {
			origins[e.Digest] = e
		}
	}
	picked := make([]int, 0, len(latest))
	for _, i := range latest {
		picked = append(picked, i)
	}
	// Read in file order, so that each file is read front to back.
	where := func(i int) entry {
		if e := entries[i]; e.Mime == revisitMime {
			if o, ok := origins[e.Digest]; ok {
				return o
			}
		}
		return entries[i]
	}
	slices.SortFunc(picked, func(a, b int) int {
		ea, eb := where(a), where(b)
		return cmp.Or(cmp.Compare(ea.Filename, eb.Filename), cmp.Compare(ea.offset(), eb.offset()))
	})
	files := map[string]*os.File{}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	var errs []error
	for _, i := range picked {
		if err := ctx.Err(); err != nil {
			return err
		}
		e := entries[i]
		src := e
		if e.Mime == revisitMime {
			o, ok := origins[e.Digest]
			if !ok {
				errs = append(errs, fmt.Errorf("read %s at offset %s: revisit of %s: no original with payload digest %s in %s", e.Filename, e.Offset, e.URL, e.Digest, dir))
				continue
			}
			src = o
		}
		f, ok := files[src.Filename]
		if !ok {
			if f, err = os.Open(filepath.Join(dir, src.Filename)); err != nil {
				errs = append(errs, fmt.Errorf("read %s: %w", src.Filename, err))
				continue
			}
			files[src.Filename] = f
		}
		s, err := recordAt(f, src.offset(), src.length())
		if err != nil {
			errs = append(errs, fmt.Errorf("read %s at offset %s: %s: %w", src.Filename, src.Offset, src.URL, err))
			continue
		}
		date, _ := time.Parse(timestamp14, e.timestamp)
		c := Capture{URL: e.URL, Date: date.UTC(), Status: e.status(), File: e.Filename, Offset: e.offset(), Revisit: e.Mime == revisitMime}
		c.Header, _ = parseHeader(s.header)
		if c.Revisit {
			// The revisit's own HTTP header (its validators, its date),
			// the original's payload.
			if own, err := recordAt(openIn(files, dir, e.Filename), e.offset(), e.length()); err == nil && own.kind == "revisit" {
				c.Header, _ = parseHeader(own.header)
			}
		}
		if c.Body, err = decodeBody(c.Header, s.payload); err != nil {
			errs = append(errs, fmt.Errorf("read %s at offset %s: %s: %w", src.Filename, src.Offset, src.URL, err))
			continue
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// recordAt reads the response record stored at offset, length compressed
// bytes long, in f. It reads the one gzip member (whose CRC guards the
// bytes) and splits the record by hand, without the strict reader's
// re-checking of every field and digest: Read and Index do that; this is
// the path a re-parse of a whole mirror takes, once per page.
func recordAt(f *os.File, offset, length int64) (scanned, error) {
	if f == nil {
		return scanned{}, errors.New("file not open")
	}
	if length <= 0 {
		length = 1 << 40 // unknown: the member ends where gzip says
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(io.NewSectionReader(f, offset, length), 32<<10))
	if err != nil {
		return scanned{}, err
	}
	zr.Multistream(false)
	rec, err := io.ReadAll(zr)
	if err != nil {
		return scanned{}, err
	}
	head, block, ok := bytes.Cut(rec, []byte("\r\n\r\n"))
	if !ok || !bytes.HasPrefix(head, []byte("WARC/")) {
		return scanned{}, errors.New("not a WARC record")
	}
	fields, err := parseHeader(append(head, "\r\n\r\n"...))
	if err != nil {
		return scanned{}, fmt.Errorf("record header: %w", err)
	}
	if n, err := strconv.ParseInt(fields.Get("Content-Length"), 10, 64); err == nil && n >= 0 && n <= int64(len(block)) {
		block = block[:n]
	}
	s := scanned{kind: fields.Get("WARC-Type"), url: fields.Get("WARC-Target-URI"), digest: fields.Get("WARC-Payload-Digest"), offset: offset}
	if s.kind != "response" && s.kind != "revisit" {
		return s, fmt.Errorf("not a response or revisit record but %s", s.kind)
	}
	// The HTTP message as it came: its header may end in a bare LF.
	httpHead, payload, ok := splitHTTP(block)
	if !ok && s.kind == "response" {
		return s, errors.New("response record without an HTTP header")
	}
	s.header, s.payload = httpHead, payload
	return s, nil
}

// openIn returns the open file name of dir from files, opening it when needed;
// nil when it cannot be opened (recordAt then fails, and the caller keeps
// what it has).
func openIn(files map[string]*os.File, dir, name string) *os.File {
	if f, ok := files[name]; ok {
		return f
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return nil
	}
	files[name] = f
	return f
}
