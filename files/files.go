// Package files keeps downloaded attachments in a directory, each under the
// SHA-256 of its content (DIR/ab/cdef…): nothing a server says — a name, a
// URL, a Content-Disposition — chooses a path, so nothing is written outside
// the directory. A download goes to a temporary file in the directory, is
// checked (its length against what the server announced, its digest) and
// synced, and only then renamed into place: a partial download never takes
// a file's name. It knows nothing of HTTP or SQL.
package files

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Errors that callers tell apart.
var (
	// ErrTooLarge: the content is larger than the limit given.
	ErrTooLarge = errors.New("file larger than the limit (--max-file-size)")
	// ErrShort: the content ended before the length the server announced.
	ErrShort = errors.New("download ended early")
	// ErrMissing: the manifest names a file the directory lacks.
	ErrMissing = errors.New("file missing")
	// ErrCorrupt: a file's content no longer has the digest (or size) that
	// names it.
	ErrCorrupt = errors.New("file corrupt")
)

// partialPrefix starts the name of a download in progress. Such files are
// never counted; Open removes those an interrupted run left.
const partialPrefix = ".partial-"

// SpoolPrefix starts the name of the temporary files a crawl keeps in the
// directory while it records a download's exchange for the WARC (see
// fetch.Config.SpoolDir); Open removes those an interrupted run left.
const SpoolPrefix = ".spool-"

// Dir is a content-addressed directory of files.
type Dir struct {
	root string // absolute
}

// Open opens (creating when needed) the directory root, and removes the
// partial downloads and spool files an interrupted run left in it. Only one process may
// download into a directory at a time (a crawl holds its database's lock).
func Open(root string) (*Dir, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("files directory %s: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("files directory %s: %w", root, err)
	}
	d := &Dir{root: abs}
	if err := d.removePartials(); err != nil {
		return nil, err
	}
	return d, nil
}

// OpenExisting opens root for reading (verify): it must exist, and nothing
// in it is changed.
func OpenExisting(root string) (*Dir, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("files directory %s: %w", root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("files directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("files directory %s: not a directory", root)
	}
	return &Dir{root: abs}, nil
}

// Root is the directory's absolute path.
func (d *Dir) Root() string { return d.root }

func (d *Dir) removePartials() error {
	ents, err := os.ReadDir(d.root)
	if err != nil {
		return fmt.Errorf("files directory %s: %w", d.root, err)
	}
	for _, e := range ents {
		if (strings.HasPrefix(e.Name(), partialPrefix) || strings.HasPrefix(e.Name(), SpoolPrefix)) && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(d.root, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove partial download %s: %w", e.Name(), err)
			}
		}
	}
	return nil
}

// ValidDigest reports whether s is a SHA-256 digest as this package writes
// them: 64 lower-case hexadecimal digits.
func ValidDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Path is where the file of digest sha lives: DIR/ab/cdef…. The digest is
// checked first, so no other string can name a path.
func (d *Dir) Path(sha string) (string, error) {
	if !ValidDigest(sha) {
		return "", fmt.Errorf("not a SHA-256 digest: %q", sha)
	}
	return filepath.Join(d.root, sha[:2], sha[2:]), nil
}

// Rel is the path of the file of digest sha relative to the directory
// (ab/cdef…, with forward slashes), as the manifest and the README show it.
func Rel(sha string) string {
	if len(sha) < 3 {
		return sha
	}
	return sha[:2] + "/" + sha[2:]
}

// Has reports whether the file of digest sha is present with the given
// size: a cheap check, not a re-hash (Verify does that).
func (d *Dir) Has(sha string, size int64) bool {
	p, err := d.Path(sha)
	if err != nil {
		return false
	}
	fi, err := os.Lstat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Size() == size
}

// Verify re-reads the file of digest sha and checks its size and digest:
// ErrMissing when it is not there, ErrCorrupt when it differs.
func (d *Dir) Verify(sha string, size int64) error {
	p, err := d.Path(sha)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", Rel(sha), ErrMissing)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", Rel(sha), err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("read %s: %w", Rel(sha), err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha || n != size {
		return fmt.Errorf("%s: %w: %d bytes with digest %s, want %d bytes", Rel(sha), ErrCorrupt, n, got, size)
	}
	return nil
}

// A Download is a file being written: Write to it, then Commit (checked,
// synced, renamed into place) or Abort (removed). It is not safe for
// concurrent use.
type Download struct {
	d      *Dir
	f      *os.File
	h      hash.Hash
	n      int64
	max    int64 // 0: no limit
	err    error
	closed bool
}

// Create starts a download under a temporary name in the directory. max
// bounds its size (0: no bound): a Write past it fails with ErrTooLarge.
func (d *Dir) Create(max int64) (*Download, error) {
	f, err := os.CreateTemp(d.root, partialPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("start download: %w", err)
	}
	return &Download{d: d, f: f, h: sha256.New(), max: max}, nil
}

// Write writes p to the file and its digest.
func (w *Download) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.max > 0 && w.n+int64(len(p)) > w.max {
		w.err = fmt.Errorf("%w (%d bytes)", ErrTooLarge, w.max)
		return 0, w.err
	}
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	w.n += int64(n)
	if err != nil {
		w.err = fmt.Errorf("write download: %w", err)
		return n, w.err
	}
	return n, nil
}

// Size is the number of bytes written so far.
func (w *Download) Size() int64 { return w.n }

// TempPath is the temporary file's path, to read it back before Commit (the
// WARC writer does).
func (w *Download) TempPath() string { return w.f.Name() }

// Commit checks the download — want is the length the server announced (-1:
// none) — syncs it and renames it into place under its digest, which it
// returns with the size. A file already there under that digest is
// replaced (it may have been damaged since). The download is finished
// either way.
func (w *Download) Commit(want int64) (sha string, size int64, err error) {
	defer w.Abort()
	if w.err != nil {
		return "", 0, w.err
	}
	if want >= 0 && w.n != want {
		return "", 0, fmt.Errorf("%w: %d of %d bytes", ErrShort, w.n, want)
	}
	if err := w.f.Sync(); err != nil {
		return "", 0, fmt.Errorf("sync download: %w", err)
	}
	if err := w.f.Close(); err != nil {
		return "", 0, fmt.Errorf("close download: %w", err)
	}
	w.closed = true
	sha = hex.EncodeToString(w.h.Sum(nil))
	p, _ := w.d.Path(sha)
	// A file already under this digest is replaced, not kept: the rename is
	// atomic, and the file there may have been damaged since (Has checks
	// only its size), while this one was hashed as it was written.
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", 0, fmt.Errorf("files directory: %w", err)
	}
	if err := os.Rename(w.f.Name(), p); err != nil {
		return "", 0, fmt.Errorf("put %s in place: %w", Rel(sha), err)
	}
	if err := syncDir(dir); err != nil {
		return "", 0, err
	}
	return sha, w.n, nil
}

// Abort removes the download, unless Commit put it in place. It is safe to
// call more than once.
func (w *Download) Abort() {
	if !w.closed {
		w.f.Close()
		w.closed = true
	}
	_ = os.Remove(w.f.Name()) // gone already once renamed
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
