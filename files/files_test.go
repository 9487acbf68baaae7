package files

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harvest-archive/harvest"
)

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// listAll is every path under dir, relative, with forward slashes.
func listAll(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if !d.IsDir() {
			r, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(r))
		}
		return nil
	})
	return out
}

func TestCommit(t *testing.T) {
	for _, c := range []struct {
		name    string
		content string
		max     int64
		want    int64 // announced length; -1 none
		err     error
	}{
		{"Whole", "a scan", 0, 6, nil},
		{"NoLengthAnnounced", "a scan", 0, -1, nil},
		{"Short", "a sc", 0, 6, ErrShort},
		{"Longer", "a scan!", 0, 6, ErrShort},
		{"TooLarge", "a scan", 5, -1, ErrTooLarge},
		{"AtTheLimit", "a scan", 6, 6, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			d, err := Open(root)
			if err != nil {
				t.Fatal(err)
			}
			w, err := d.Create(c.max)
			if err != nil {
				t.Fatal(err)
			}
			_, werr := w.Write([]byte(c.content))
			sha, size, err := w.Commit(c.want)
			if c.err != nil {
				if !errors.Is(err, c.err) && !errors.Is(werr, c.err) {
					t.Fatalf("Commit = %v (write %v); want %v", err, werr, c.err)
				}
				if got := listAll(t, root); len(got) != 0 {
					t.Errorf("a failed download left %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sha != digest(c.content) || size != int64(len(c.content)) {
				t.Errorf("Commit = %s, %d; want %s, %d", sha, size, digest(c.content), len(c.content))
			}
			if got, want := listAll(t, root), []string{Rel(sha)}; strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("files %v, want %v", got, want)
			}
			if err := d.Verify(sha, size); err != nil {
				t.Errorf("Verify: %v", err)
			}
			if !d.Has(sha, size) || d.Has(sha, size+1) {
				t.Errorf("Has: wrong")
			}
		})
	}
}

// The same content twice is one file.
func TestCommitSameContentTwice(t *testing.T) {
	root := t.TempDir()
	d, _ := Open(root)
	for range 2 {
		w, _ := d.Create(0)
		w.Write([]byte("same"))
		if _, _, err := w.Commit(4); err != nil {
			t.Fatal(err)
		}
	}
	if got := listAll(t, root); len(got) != 1 {
		t.Errorf("files %v, want one", got)
	}
}

func TestVerify(t *testing.T) {
	root := t.TempDir()
	d, _ := Open(root)
	w, _ := d.Create(0)
	w.Write([]byte("content"))
	sha, size, err := w.Commit(-1)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Verify(digest("other"), 5); !errors.Is(err, ErrMissing) {
		t.Errorf("Verify of a missing file = %v, want ErrMissing", err)
	}
	if err := d.Verify(sha, size+1); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Verify with the wrong size = %v, want ErrCorrupt", err)
	}
	p, _ := d.Path(sha)
	os.WriteFile(p, []byte("contenT"), 0o644)
	if err := d.Verify(sha, size); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Verify of a changed file = %v, want ErrCorrupt", err)
	}
}

// What an interrupted run left under a temporary name is removed, never
// counted.
func TestOpenRemovesPartials(t *testing.T) {
	root := t.TempDir()
	d, _ := Open(root)
	w, _ := d.Create(0)
	w.Write(bytes.Repeat([]byte("x"), 100))
	// no Commit, no Abort: as if killed
	os.WriteFile(filepath.Join(root, SpoolPrefix+"123"), []byte("HTTP/1.1 200 OK\r\n"), 0o644)
	if got := listAll(t, root); len(got) != 2 {
		t.Fatalf("files %v", got)
	}
	if _, err := Open(root); err != nil {
		t.Fatal(err)
	}
	if got := listAll(t, root); len(got) != 0 {
		t.Errorf("after Open: %v, want nothing", got)
	}
}

// No string but a digest names a path.
func TestPathTakesOnlyDigests(t *testing.T) {
	d, _ := Open(t.TempDir())
	for _, s := range []string{"", "../../etc/passwd", "/etc/passwd", "ab/../../x", strings.Repeat("a", 63) + "\x00", strings.Repeat("A", 64), strings.Repeat("a", 65), strings.Repeat("a", 62) + "/x"} {
		if p, err := d.Path(s); err == nil {
			t.Errorf("Path(%q) = %s; want an error", s, p)
		}
	}
	p, err := d.Path(digest("x"))
	if err != nil || !strings.HasPrefix(p, d.Root()+string(filepath.Separator)) {
		t.Errorf("Path of a digest = %s, %v", p, err)
	}
}

func TestTypes(t *testing.T) {
	ty, err := ParseTypes("pdf, .JPG")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ct, path, name string
		want           bool
	}{
		{"application/pdf", "/document/1/download", "", true},
		{"application/octet-stream", "/files/scan.pdf", "", true},
		{"application/octet-stream", "/document/1/download", "scan.PDF", true},
		{"image/jpeg", "/x", "", true},
		{"image/png", "/x.png", "", false},
		{"text/html; charset=utf-8", "/document/1/download", "", false},
		{"", "", "", false},
	} {
		if got := ty.Allow(c.ct, c.path, c.name); got != c.want {
			t.Errorf("Allow(%q, %q, %q) = %v, want %v", c.ct, c.path, c.name, got, c.want)
		}
	}
	if _, err := ParseTypes("pdf,../x"); err == nil {
		t.Error("ParseTypes accepted ../x")
	}
	if all, _ := ParseTypes(""); !all.Allow("x/y", "", "") {
		t.Error("no types should keep every type")
	}
}

func TestVerifyManifest(t *testing.T) {
	d, _ := Open(t.TempDir())
	put := func(s string) harvest.FileEntry {
		w, _ := d.Create(0)
		w.Write([]byte(s))
		sha, size, err := w.Commit(-1)
		if err != nil {
			t.Fatal(err)
		}
		return harvest.FileEntry{URL: "http://x/" + s, SHA256: sha, Size: size}
	}
	good, bad, gone := put("good"), put("bad"), put("gone")
	shared := good
	shared.RecordURL = "http://x/other"
	p, _ := d.Path(bad.SHA256)
	os.WriteFile(p, []byte("bas"), 0o644)
	p, _ = d.Path(gone.SHA256)
	os.Remove(p)
	rows := []harvest.FileEntry{good, bad, shared, gone}
	rep, err := d.VerifyManifest(t.Context(), func(fn func(harvest.FileEntry) error) error {
		for _, e := range rows {
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 4 || rep.Files != 3 || len(rep.Problems) != 2 {
		t.Fatalf("report %+v", rep)
	}
	if !errors.Is(rep.Problems[0].Err, ErrCorrupt) || rep.Problems[0].Entry.URL != bad.URL ||
		!errors.Is(rep.Problems[1].Err, ErrMissing) || rep.Problems[1].Entry.URL != gone.URL {
		t.Errorf("problems %+v", rep.Problems)
	}
}

// A download whose digest names a file that is there with the right size
// but corrupt content (a flipped byte: what verify reports) replaces it: a
// good copy is never thrown away in favour of a damaged one.
func TestCommitRepairsCorruptFile(t *testing.T) {
	root := t.TempDir()
	d, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	commit := func() string {
		t.Helper()
		w, err := d.Create(0)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("a scan"))
		sha, _, err := w.Commit(6)
		if err != nil {
			t.Fatal(err)
		}
		return sha
	}
	sha := commit()
	p, _ := d.Path(sha)
	if err := os.WriteFile(p, []byte("a scaN"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.Verify(sha, 6); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Verify of the damaged file: %v, want ErrCorrupt", err)
	}
	commit()
	if err := d.Verify(sha, 6); err != nil {
		t.Errorf("after a fresh download of the same content: %v", err)
	}
	if got := listAll(t, root); len(got) != 1 {
		t.Errorf("files %v, want one", got)
	}
}
