package crawler_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/crawler"
	"github.com/harvest-archive/harvest/files"
	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/parser"
	"github.com/harvest-archive/harvest/store"
)

// serveWith starts a fixture server of n documents, its knobs set by set.
func serveWith(t testing.TB, n int, set func(*fixtures.Server)) *fixtures.Server {
	t.Helper()
	srv := fixtures.NewServer(fixtures.NewArchive(n, 7))
	srv.Robots = "User-agent: *\nDisallow: /admin/\n"
	if set != nil {
		set(srv)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func detailsConfig(srv *fixtures.Server, dir string) crawler.Config {
	cfg := testConfig(srv.ListingURL(0))
	cfg.Concurrency = 4
	cfg.Details = crawler.DetailsNew
	cfg.Profile, _ = parser.Lookup("wilson") // the fixture's pages are the Wilson Center's
	if dir != "" {
		cfg.FilesDir = dir
	}
	return cfg
}

func storedDocuments(t testing.TB, db store.Reader) map[string]harvest.Document {
	t.Helper()
	out := map[string]harvest.Document{}
	if err := db.Documents(context.Background(), func(d harvest.Document) error { out[d.URL] = d; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func manifest(t testing.TB, db store.Reader) []harvest.FileEntry {
	t.Helper()
	var out []harvest.FileEntry
	if err := db.Files(context.Background(), func(e harvest.FileEntry) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// docHits counts the requests for document pages.
func docHits(srv *fixtures.Server) (n int, conditional int) {
	for _, h := range srv.Log() {
		if strings.HasPrefix(h.URI, "/document/") && !strings.HasSuffix(h.URI, "/download") {
			n++
			if h.Headers.Get("If-None-Match") != "" || h.Headers.Get("If-Modified-Since") != "" {
				conditional++
			}
		}
	}
	return n, conditional
}

// Every document page's fields, texts and links are stored as the fixture
// knows them, and every attachment is in the files directory under its
// digest, in the manifest with its record, label, type and size.
func TestDetailsStoreEveryFieldAndFile(t *testing.T) {
	srv := serveWith(t, 23, nil)
	dir := t.TempDir()
	db := openDB(t, filepath.Join(dir, "h.db"))
	fdir := filepath.Join(dir, "files")
	sum, err := crawl(t, db, detailsConfig(srv, fdir))
	if err != nil {
		t.Fatalf("crawl: %v (%+v)", err, sum)
	}
	docs := storedDocuments(t, db)
	var wantFiles []harvest.FileEntry
	for _, d := range srv.Archive.Docs() {
		want := srv.Document(d)
		got, ok := docs[want.URL]
		if !ok {
			t.Errorf("%s: no document stored", want.URL)
			continue
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(harvest.Document{}, "FetchedAt")); diff != "" {
			t.Errorf("%s (-fixture +stored):\n%s", want.URL, diff)
		}
		for _, a := range srv.Attachments(d) {
			wantFiles = append(wantFiles, harvest.FileEntry{RecordURL: want.URL, URL: a.URL, Label: a.Label, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256})
		}
	}
	got := manifest(t, db)
	key := func(e harvest.FileEntry) string { return e.RecordURL + " " + e.URL }
	sort.Slice(wantFiles, func(i, j int) bool { return key(wantFiles[i]) < key(wantFiles[j]) })
	sort.Slice(got, func(i, j int) bool { return key(got[i]) < key(got[j]) })
	if diff := cmp.Diff(wantFiles, got, cmpopts.IgnoreFields(harvest.FileEntry{}, "FetchedAt")); diff != "" {
		t.Errorf("manifest (-fixture +stored):\n%s", diff)
	}
	d, err := files.OpenExisting(fdir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range got {
		if err := d.Verify(e.SHA256, e.Size); err != nil {
			t.Errorf("%s: %v", e.URL, err)
		}
	}
	if sum.Documents != len(docs) || sum.Files != len(got) || sum.FailedDocuments+sum.FailedFiles != 0 {
		t.Errorf("summary %+v; want %d documents, %d files", sum, len(docs), len(got))
	}
}

// A re-run fetches no document page whose listing row is unchanged; a
// changed row fetches its page again; --details=all asks for every page
// conditionally (304s), and stores a page that did change.
func TestDetailsRerunFetchesOnlyWhatChanged(t *testing.T) {
	srv := serveWith(t, 15, func(s *fixtures.Server) { s.Conditional = true })
	dir := t.TempDir()
	db := openDB(t, filepath.Join(dir, "h.db"))
	cfg := detailsConfig(srv, "")
	if _, err := crawl(t, db, cfg); err != nil {
		t.Fatal(err)
	}
	first, _ := docHits(srv)
	if first != 15 {
		t.Fatalf("first run fetched %d document pages, want 15", first)
	}
	if _, err := crawl(t, db, cfg); err != nil {
		t.Fatal(err)
	}
	if n, _ := docHits(srv); n != first {
		t.Errorf("a re-run with nothing changed fetched %d document pages", n-first)
	}
	srv.Archive.SetTitle(3, "A title the listing now shows")
	changed := srv.Archive.Docs()[3]
	before := srv.Hits(changed.Path())
	sum, err := crawl(t, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := docHits(srv); n != first+1 || srv.Hits(changed.Path()) != before+1 || sum.Documents != 1 {
		t.Errorf("after one listing row changed: %d pages fetched (want 1, the changed one: %d), summary %+v", n-first, srv.Hits(changed.Path())-before, sum)
	}
	if got := storedDocuments(t, db)[srv.DocURL(changed)].Title; got != srv.Document(changed).Title {
		t.Errorf("changed document's title %q, want %q", got, srv.Document(changed).Title)
	}

	revised := srv.Archive.Revise(5)
	_, c0 := docHits(srv)
	n0, _ := docHits(srv)
	cfg.Details = crawler.DetailsAll
	sum, err = crawl(t, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	n1, c1 := docHits(srv)
	if n1-n0 != 15 || c1-c0 != 15 || sum.DocumentsNotModified != 14 || sum.Documents != 15 {
		t.Errorf("--details=all: %d pages fetched, %d conditionally, summary %+v; want 15, 15, 14 not modified", n1-n0, c1-c0, sum)
	}
	if diff := cmp.Diff(srv.Document(revised), storedDocuments(t, db)[srv.DocURL(revised)], cmpopts.IgnoreFields(harvest.Document{}, "FetchedAt")); diff != "" {
		t.Errorf("revised page (-fixture +stored):\n%s", diff)
	}
}

// Document pages that fail are recorded with their status, the run is
// partial, the listing records stay, and the next run fetches them again.
func TestDetailsFailuresRecordedAndRetried(t *testing.T) {
	srv := serveWith(t, 12, nil)
	docs := srv.Archive.Docs()
	fails := map[string]fixtures.DocFailure{docs[1].Slug: fixtures.DocNotFound, docs[2].Slug: fixtures.DocGone, docs[3].Slug: fixtures.DocOffsite, docs[4].Slug: fixtures.DocLoop}
	for slug, kind := range fails {
		srv.FailDocument(slug, kind)
	}
	dir := t.TempDir()
	db := openDB(t, filepath.Join(dir, "h.db"))
	cfg := detailsConfig(srv, "")
	sum, err := crawl(t, db, cfg)
	if !errors.Is(err, harvest.ErrPartial) || sum.Outcome != harvest.OutcomePartial || sum.FailedDocuments != 4 {
		t.Fatalf("crawl = %v, %+v; want partial with 4 failed document pages", err, sum)
	}
	if n := len(stored(t, db)); n != 12 {
		t.Errorf("%d records stored, want all 12", n)
	}
	var due []harvest.DocumentTask
	db.DocumentsDue(context.Background(), 0, false, func(d harvest.DocumentTask) error { due = append(due, d); return nil })
	if len(due) != 4 {
		t.Errorf("due after the run: %+v; want the 4 failed", due)
	}
	if n := len(storedDocuments(t, db)); n != 8 {
		t.Errorf("%d documents stored, want 8", n)
	}
	for slug := range fails {
		srv.FailDocument(slug, "")
	}
	sum, err = crawl(t, db, cfg)
	if err != nil || sum.Documents != 4 {
		t.Errorf("next run: %v, %+v; want the 4 fetched", err, sum)
	}
	if n := len(storedDocuments(t, db)); n != 12 {
		t.Errorf("%d documents stored, want 12", n)
	}
}

// A document page that is a bot challenge stops the run with
// ErrChallenge; the record stays, the page is due again.
func TestDetailsChallengeStops(t *testing.T) {
	srv := serveWith(t, 12, nil)
	srv.FailDocument(srv.Archive.Docs()[0].Slug, fixtures.DocChallenge)
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := detailsConfig(srv, "")
	cfg.Concurrency = 1
	_, err := crawl(t, db, cfg)
	if !errors.Is(err, harvest.ErrChallenge) {
		t.Fatalf("crawl = %v, want ErrChallenge", err)
	}
	if n := len(stored(t, db)); n != 12 {
		t.Errorf("%d records stored, want 12", n)
	}
}

// Hostile attachment names and links write nothing outside the files
// directory: everything in it is a digest-named file.
func TestAttachmentsHostileNamesStayInside(t *testing.T) {
	srv := serveWith(t, 3, func(s *fixtures.Server) { s.HostileAttachments = true })
	root := t.TempDir()
	fdir := filepath.Join(root, "files")
	db := openDB(t, filepath.Join(root, "h.db"))
	_, err := crawl(t, db, detailsConfig(srv, fdir))
	if err != nil && !errors.Is(err, harvest.ErrPartial) {
		t.Fatal(err)
	}
	var outside, inside []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case strings.HasPrefix(rel, "files/"):
			inside = append(inside, strings.TrimPrefix(rel, "files/"))
		case strings.HasPrefix(rel, "h.db"):
		default:
			outside = append(outside, rel)
		}
		return nil
	})
	if len(outside) > 0 {
		t.Errorf("written outside the files directory: %v", outside)
	}
	for _, f := range inside {
		if sha := strings.Replace(f, "/", "", 1); !files.ValidDigest(sha) || f != files.Rel(sha) {
			t.Errorf("a file not named by its digest: %q", f)
		}
	}
	if len(inside) == 0 || len(manifest(t, db)) == 0 {
		t.Errorf("nothing downloaded (%d files)", len(inside))
	}
}

// A download cut short never counts: no manifest row, no file; the next
// run fetches only what is missing.
func TestAttachmentsCutShortNotCounted(t *testing.T) {
	srv := serveWith(t, 6, func(s *fixtures.Server) { s.CutAttachments = 2 })
	root := t.TempDir()
	fdir := filepath.Join(root, "files")
	db := openDB(t, filepath.Join(root, "h.db"))
	cfg := detailsConfig(srv, fdir)
	cfg.Retries = 0
	sum, err := crawl(t, db, cfg)
	if !errors.Is(err, harvest.ErrPartial) || sum.FailedFiles != 2 {
		t.Fatalf("crawl = %v, %+v; want partial, 2 failed files", err, sum)
	}
	var all []fixtures.Attachment
	for _, d := range srv.Archive.Docs() {
		all = append(all, srv.Attachments(d)...)
	}
	got := manifest(t, db)
	if len(got) != len(all)-2 {
		t.Errorf("%d manifest rows, want %d", len(got), len(all)-2)
	}
	d, _ := files.OpenExisting(fdir)
	for _, e := range got {
		if err := d.Verify(e.SHA256, e.Size); err != nil {
			t.Error(err)
		}
	}
	hits := map[string]int{}
	for _, h := range srv.Log() {
		hits[h.URI]++
	}
	sum, err = crawl(t, db, cfg)
	if err != nil || sum.Files != 2 {
		t.Fatalf("second run: %v, %+v; want the 2 missing files", err, sum)
	}
	if n := len(manifest(t, db)); n != len(all) {
		t.Errorf("%d manifest rows, want %d", n, len(all))
	}
	after := map[string]int{}
	for _, h := range srv.Log() {
		after[h.URI]++
	}
	for _, a := range all {
		p := strings.TrimPrefix(a.URL, srv.URL)
		if again := after[p] - hits[p]; again > 1 || (again == 1 && hits[p] != 1) {
			t.Errorf("%s fetched %d times more", p, again)
		}
	}
}

// --max-file-size, --file-types and --max-bytes keep what they say.
func TestAttachmentLimits(t *testing.T) {
	srv := serveWith(t, 20, nil)
	var all []fixtures.Attachment
	for _, d := range srv.Archive.Docs() {
		all = append(all, srv.Attachments(d)...)
	}
	count := func(keep func(fixtures.Attachment) bool) int {
		n := 0
		for _, a := range all {
			if keep(a) {
				n++
			}
		}
		return n
	}
	for _, c := range []struct {
		name string
		set  func(*crawler.Config)
		want int
	}{
		{"MaxFileSize", func(cfg *crawler.Config) { cfg.MaxFileSize = 32 << 10 }, count(func(a fixtures.Attachment) bool { return a.Size <= 32<<10 })},
		{"FileTypes", func(cfg *crawler.Config) { cfg.FileTypes, _ = files.ParseTypes("pdf") },
			count(func(a fixtures.Attachment) bool { return a.ContentType == "application/pdf" })},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			db := openDB(t, filepath.Join(root, "h.db"))
			cfg := detailsConfig(srv, filepath.Join(root, "files"))
			c.set(&cfg)
			if _, err := crawl(t, db, cfg); err != nil {
				t.Errorf("crawl = %v; attachments left out by a limit do not make the run partial", err)
			}
			if got := len(manifest(t, db)); got != c.want || c.want == len(all) || c.want == 0 {
				t.Errorf("%d files kept, want %d of %d", got, c.want, len(all))
			}
		})
	}
	t.Run("MaxBytes", func(t *testing.T) {
		root := t.TempDir()
		db := openDB(t, filepath.Join(root, "h.db"))
		cfg := detailsConfig(srv, filepath.Join(root, "files"))
		cfg.Concurrency = 1
		cfg.MaxBytes = 100 << 10
		sum, err := crawl(t, db, cfg)
		if err != nil || sum.FileBytes < cfg.MaxBytes || sum.FileBytes > cfg.MaxBytes+64<<10 || !strings.Contains(sum.Message, "--max-bytes") {
			t.Errorf("first run: %v, %+v; want the budget spent, said", err, sum)
		}
		for range 20 {
			if sum, err = crawl(t, db, cfg); err != nil {
				t.Fatal(err)
			}
			if sum.Files == 0 {
				break
			}
		}
		if got := len(manifest(t, db)); got != len(all) {
			t.Errorf("after runs on the budget: %d files, want %d", got, len(all))
		}
	})
}

// --max-pages bounds the listing alone, and the document pages fetched
// after a bounded walk send for no listing page past the bound (the loop's
// page numbering must not go on generating them).
func TestDetailsKeepMaxPages(t *testing.T) {
	srv := serveWith(t, 100, nil)
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := detailsConfig(srv, "")
	cfg.MaxPages = 4
	sum, err := crawl(t, db, cfg)
	if err != nil {
		t.Fatalf("crawl: %v (%+v)", err, sum)
	}
	var listing []string
	for _, h := range srv.Log() {
		if strings.HasPrefix(h.URI, "/search") {
			listing = append(listing, h.URI)
		}
	}
	if sum.Pages != 4 || len(listing) != 4 || len(stored(t, db)) != 40 {
		t.Errorf("pages %d, listing requests %q, records %d; want 4 pages, 4 requests, 40 records", sum.Pages, listing, len(stored(t, db)))
	}
	if n, _ := docHits(srv); n != 40 {
		t.Errorf("%d document pages fetched, want the 40 listed", n)
	}
}
