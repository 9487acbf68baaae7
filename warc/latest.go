package warc

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	gowarc "github.com/nlnwa/gowarc/v3"
)

// ReadLatest calls fn for the latest capture of every URL in dir that keep
// accepts (nil keeps all): the latest response or revisit record by date
// (a later file wins a tie), with a revisit resolved to its original
// payload. It finds them through the CDXJ indexes (computing those that are
// missing) and reads only those records, in file order: re-reading a mirror
// harvested every night costs one read per page, not one per night.
//
// Errors name the file and offset, as Read's do.
func ReadLatest(ctx context.Context, dir string, keep func(url string) bool, fn func(Capture) error) error {
	entries, err := loadIndexes(dir)
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	latest := map[string]int{} // URL -> index into entries
	for i, e := range entries {
		if keep != nil && !keep(e.URL) {
			continue
		}
		j, seen := latest[e.URL]
		if !seen || e.timestamp >= entries[j].timestamp {
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
	for _, i := range picked {
		if err := ctx.Err(); err != nil {
			return err
		}
		e := entries[i]
		src := e
		if e.Mime == revisitMime {
			o, ok := origins[e.Digest]
			if !ok {
				return fmt.Errorf("read %s at offset %s: revisit of %s: no original with payload digest %s in %s", e.Filename, e.Offset, e.URL, e.Digest, dir)
			}
			src = o
		}
		f, ok := files[src.Filename]
		if !ok {
			if f, err = os.Open(filepath.Join(dir, src.Filename)); err != nil {
				return fmt.Errorf("read %s: %w", src.Filename, err)
			}
			files[src.Filename] = f
		}
		s, err := recordAt(f, src.offset())
		if err != nil {
			return fmt.Errorf("read %s at offset %s: %s: %w", src.Filename, src.Offset, src.URL, err)
		}
		date, _ := time.Parse(timestamp14, e.timestamp)
		c := Capture{URL: e.URL, Date: date.UTC(), Status: e.status(), File: e.Filename, Offset: e.offset(), Revisit: e.Mime == revisitMime}
		c.Header, _ = parseHeader(s.header)
		if c.Body, err = decodeBody(c.Header, s.payload); err != nil {
			return fmt.Errorf("read %s at offset %s: %s: %w", src.Filename, src.Offset, src.URL, err)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// recordAt reads the response record at offset in f, its digests checked.
func recordAt(f *os.File, offset int64) (scanned, error) {
	// A section reader, which the reader cannot close: f serves the next
	// record too.
	rd, err := gowarc.NewWarcFileReaderFromStream(io.NewSectionReader(f, 0, 1<<62), offset)
	if err != nil {
		return scanned{}, err
	}
	defer rd.Close()
	rec, err := rd.Next()
	if err != nil {
		return scanned{}, err
	}
	defer rec.Close()
	s, err := scannedFrom(rec)
	if err != nil {
		return s, err
	}
	if s.kind != "response" {
		return s, fmt.Errorf("not a response record but %s", s.kind)
	}
	return s, nil
}
