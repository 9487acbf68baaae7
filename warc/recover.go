package warc

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
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
		name, err := recoverOne(ctx, path)
		if err != nil {
			return done, fmt.Errorf("recover %s: %w", filepath.Base(path), err)
		}
		if name != "" {
			done = append(done, name)
		}
	}
	return done, nil
}

// recoverOne finishes one file left open, unless a live writer holds it;
// it returns the file's final name ("" when it was left alone or empty).
func recoverOne(ctx context.Context, path string) (string, error) {
	release, ok := claimDead(path)
	if !ok {
		return "", nil
	}
	defer release()
	end, err := wholeMembers(path)
	if err != nil {
		return "", err
	}
	if err := os.Truncate(path, end); err != nil {
		return "", err
	}
	if end == 0 {
		return "", os.Remove(path)
	}
	final := strings.TrimSuffix(path, openSuffix)
	if err := os.Rename(path, final); err != nil {
		return "", err
	}
	entries, err := indexFile(ctx, final)
	if err != nil {
		return "", err
	}
	if err := writeIndex(final, entries); err != nil {
		return "", err
	}
	return filepath.Base(final), nil
}

// wholeMembers returns the length of the longest prefix of the gzip file at
// path made of whole, valid members. Damage ends the prefix (a member cut
// off, a bad header or checksum, corrupt data); any other error (the disk
// failing to read) is returned, and nothing is cut.
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
		} else if err != nil {
			return 0, err
		}
		if err := zr.Reset(br); err != nil {
			if damage(err) {
				return good, nil
			}
			return 0, err
		}
		zr.Multistream(false)
		if _, err := io.Copy(io.Discard, zr); err != nil {
			if damage(err) {
				return good, nil
			}
			return 0, err
		}
		good = cr.n - int64(br.Buffered())
	}
}

// damage tells the errors of a cut-off or spoilt gzip stream from those of
// reading the file.
func damage(err error) bool {
	var corrupt flate.CorruptInputError
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, gzip.ErrHeader) ||
		errors.Is(err, gzip.ErrChecksum) || errors.As(err, &corrupt)
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
