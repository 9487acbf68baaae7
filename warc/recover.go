package warc

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Sync hands what has been written to the system, so that it survives the
// process's death (kill -9): a crawl calls it before it commits the pages
// whose exchanges these are, so that no page the database holds is missing
// from the captures. Like the database's commits (SQLite's WAL at
// synchronous=NORMAL), it does not wait for the disk; a file is synced to
// the disk when it is finished.
func (w *Writer) Sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.file == nil {
		return nil
	}
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("sync %s: %w", w.name, err)
	}
	return nil
}

// recoverOpen finishes the files of dir that a writer left open (a crash,
// kill -9) — not those a live writer holds: each keeps its whole records — every whole gzip member — and
// loses a record cut off at the end; it is then renamed to its final name
// and indexed. It returns the names of the files it recovered.
func recoverOpen(ctx context.Context, dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.warc.gz"+openSuffix))
	if err != nil {
		return nil, err
	}
	var done []string
	for _, path := range paths {
		if heldOpen(path) {
			continue
		}
		end, err := wholeMembers(path)
		if err != nil {
			return done, fmt.Errorf("recover %s: %w", filepath.Base(path), err)
		}
		if err := os.Truncate(path, end); err != nil {
			return done, fmt.Errorf("recover %s: %w", filepath.Base(path), err)
		}
		final := strings.TrimSuffix(path, openSuffix)
		if end == 0 {
			if err := os.Remove(path); err != nil {
				return done, fmt.Errorf("recover %s: %w", filepath.Base(path), err)
			}
			continue
		}
		if err := os.Rename(path, final); err != nil {
			return done, fmt.Errorf("recover %s: %w", filepath.Base(path), err)
		}
		entries, err := indexFile(ctx, final)
		if err != nil {
			return done, fmt.Errorf("recover %s: %w", filepath.Base(final), err)
		}
		if err := writeIndex(final, entries); err != nil {
			return done, fmt.Errorf("recover %s: %w", filepath.Base(final), err)
		}
		done = append(done, filepath.Base(final))
	}
	return done, nil
}

// wholeMembers returns the length of the longest prefix of the gzip file at
// path made of whole, valid members.
func wholeMembers(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	cr := &countReader{r: f}
	br := bufio.NewReader(cr)
	var good int64
	zr := new(gzip.Reader)
	for {
		if _, err := br.Peek(1); err == io.EOF {
			return good, nil
		}
		if err := zr.Reset(br); err != nil {
			return good, nil // a header cut off or damaged: the end of what is whole
		}
		zr.Multistream(false)
		if _, err := io.Copy(io.Discard, zr); err != nil {
			return good, nil // a member cut off
		}
		good = cr.n - int64(br.Buffered())
	}
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
