package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/files"
	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/store"
	"github.com/harvest-archive/harvest/warc"
)

func documentsIn(t *testing.T, path string) (map[string]harvest.Document, []harvest.FileEntry) {
	t.Helper()
	db, err := store.OpenReadOnly(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	docs := map[string]harvest.Document{}
	if err := db.Documents(context.Background(), func(d harvest.Document) error { docs[d.URL] = d; return nil }); err != nil {
		t.Fatal(err)
	}
	var fs []harvest.FileEntry
	if err := db.Files(context.Background(), func(e harvest.FileEntry) error { fs = append(fs, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return docs, fs
}

// `harvest crawl --details --files --warc` of the fixture archive: every
// detail field as the fixture knows it, every attachment in DIR with its
// digest, every exchange in the WARC; then `harvest verify` passes, and
// reports the file the test corrupts and the one it deletes (exit 3).
func TestCrawlDetailsFilesWARCThenVerify(t *testing.T) {
	srv := fixtures.NewServer(fixtures.NewArchive(24, 5))
	srv.Robots = "User-agent: *\nAllow: /\n"
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	code, _, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", "h.db", "--delay", "0", "--concurrency", "4", "--profile", "wilson",
		"--details", "--files", "files", "--warc", "warc", "--quiet")
	if code != 0 {
		t.Fatalf("crawl: exit %d\n%s", code, stderr)
	}
	docs, manifest := documentsIn(t, filepath.Join(dir, "h.db"))
	var want []harvest.FileEntry
	for _, d := range srv.Archive.Docs() {
		w := srv.Document(d)
		if diff := cmp.Diff(w, docs[w.URL], cmpopts.IgnoreFields(harvest.Document{}, "FetchedAt")); diff != "" {
			t.Errorf("%s (-fixture +stored):\n%s", w.URL, diff)
		}
		for _, a := range srv.Attachments(d) {
			want = append(want, harvest.FileEntry{RecordURL: w.URL, URL: a.URL, Label: a.Label, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256})
		}
	}
	got := append([]harvest.FileEntry(nil), manifest...)
	key := func(e harvest.FileEntry) string { return e.RecordURL + " " + e.URL }
	sort.Slice(want, func(i, j int) bool { return key(want[i]) < key(want[j]) })
	sort.Slice(got, func(i, j int) bool { return key(got[i]) < key(got[j]) })
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(harvest.FileEntry{}, "FetchedAt")); diff != "" {
		t.Errorf("manifest (-fixture +stored):\n%s", diff)
	}
	for _, e := range manifest {
		b, err := os.ReadFile(filepath.Join(dir, "files", filepath.FromSlash(files.Rel(e.SHA256))))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != e.SHA256 {
			t.Errorf("%s: file content does not have its digest", e.URL)
		}
	}

	// The WARC holds every document page and attachment exchange.
	captured := map[string][32]byte{}
	err := warc.Read(context.Background(), filepath.Join(dir, "warc"), func(c warc.Capture) error {
		if c.Status == 200 {
			captured[c.URL] = sha256.Sum256(c.Body)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for u := range docs {
		if _, ok := captured[u]; !ok {
			t.Errorf("document page %s not in the WARC", u)
		}
	}
	for _, e := range manifest {
		sum, ok := captured[e.URL]
		if !ok {
			t.Errorf("attachment %s not in the WARC", e.URL)
		} else if hex.EncodeToString(sum[:]) != e.SHA256 {
			t.Errorf("attachment %s: the WARC's payload differs from the file", e.URL)
		}
	}

	if code, stdout, stderr := run(t, dir, "verify", "--db", "h.db", "--files", "files"); code != 0 {
		t.Fatalf("verify of a sound directory: exit %d\n%s%s", code, stdout, stderr)
	}
	corrupt, deleted := manifest[0], manifest[len(manifest)-1]
	p := filepath.Join(dir, "files", filepath.FromSlash(files.Rel(corrupt.SHA256)))
	b, _ := os.ReadFile(p)
	b[len(b)/2] ^= 1
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "files", filepath.FromSlash(files.Rel(deleted.SHA256)))); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, dir, "verify", "--db", "h.db", "--files", "files")
	if code != exitPartial {
		t.Errorf("verify after damage: exit %d, want %d\n%s", code, exitPartial, stderr)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if f := strings.Fields(l); len(f) >= 4 && (f[0] == "missing" || f[0] == "corrupt") {
			lines = append(lines, f[0]+" "+f[1]+" "+f[3])
		}
	}
	wantLines := []string{"corrupt " + files.Rel(corrupt.SHA256) + " " + corrupt.URL, "missing " + files.Rel(deleted.SHA256) + " " + deleted.URL}
	if diff := cmp.Diff(wantLines, lines); diff != "" {
		t.Errorf("verify's report (-want +got):\n%s\n%s", diff, stdout)
	}
}

// Killed (SIGKILL) while attachments download (with --warc: spooling their
// exchanges), then run again: no partial download counts, none is left, and
// no file the killed run had verified and entered in the manifest is fetched
// again.
func TestKilledDownloadsResume(t *testing.T) {
	srv := fixtures.NewServer(fixtures.NewArchive(12, 3))
	srv.Robots = "User-agent: *\nAllow: /\n"
	srv.AttachmentSize = 160 << 10
	srv.SlowAttachments = 15 * time.Millisecond // 10 pieces: 150 ms a file
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	args := []string{"crawl", srv.ListingURL(0), "--db", "h.db", "--delay", "0", "--concurrency", "2", "--profile", "wilson", "--files", "files", "--warc", "warc", "--quiet"}
	cmd := harvestCmd(t, dir, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	partial := func() bool {
		ents, _ := os.ReadDir(filepath.Join(dir, "files"))
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".partial-") {
				return true
			}
		}
		return false
	}
	leftover := func() []string {
		var out []string
		ents, _ := os.ReadDir(filepath.Join(dir, "files"))
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") {
				out = append(out, e.Name())
			}
		}
		return out
	}
	eventually(t, "three files in the manifest and a download in progress", func() bool {
		if !partial() {
			return false
		}
		db, err := store.Open(context.Background(), filepath.Join(dir, "h.db"))
		if err != nil {
			return false
		}
		defer db.Close()
		n := 0
		db.Files(context.Background(), func(harvest.FileEntry) error { n++; return nil })
		return n >= 3
	})
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	_, before := documentsIn(t, filepath.Join(dir, "h.db"))
	hits := map[string]int{}
	for _, e := range before {
		hits[e.URL] = srv.Hits(strings.TrimPrefix(e.URL, srv.URL))
	}
	var total int
	for _, d := range srv.Archive.Docs() {
		total += len(srv.Attachments(d))
	}
	if len(before) >= total {
		t.Fatalf("the kill came too late: %d of %d files in", len(before), total)
	}

	if code, _, stderr := run(t, dir, args...); code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, stderr)
	}
	for u, n := range hits {
		if got := srv.Hits(strings.TrimPrefix(u, srv.URL)); got != n {
			t.Errorf("%s: fetched again (%d hits, %d before), though verified before the kill", u, got, n)
		}
	}
	_, after := documentsIn(t, filepath.Join(dir, "h.db"))
	if len(after) != total {
		t.Errorf("%d files in the manifest after the resume, want %d", len(after), total)
	}
	if left := leftover(); len(left) > 0 {
		t.Errorf("partial downloads or spool files left: %v", left)
	}
	if code, stdout, _ := run(t, dir, "verify", "--db", "h.db", "--files", "files"); code != 0 {
		t.Errorf("verify after the resume: exit %d\n%s", code, stdout)
	}
}
