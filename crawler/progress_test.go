package crawler_test

import (
	"path/filepath"
	"testing"

	"github.com/harvest-archive/harvest/crawler"
	"github.com/harvest-archive/harvest/fixtures"
)

// The progress reports count the listing pages done and left, the records,
// the requests and the retries, and never go backwards.
func TestProgress(t *testing.T) {
	srv := serve(t, 95) // 10 pages of 10
	srv.Inject(uri(srv, 3), fixtures.Fault{Status: 503})
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := testConfig(srv.ListingURL(0))
	cfg.Concurrency = 2
	var got []crawler.Progress
	cfg.Progress = func(p crawler.Progress) { got = append(got, p) }
	sum, err := crawl(t, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		t.Fatal("no progress reported")
	}
	last := got[len(got)-1]
	if last.Listing.Done != 10 || last.Listing.Left != 0 || last.Listing.Failed != 0 {
		t.Errorf("last report: listing %+v, want 10 done, none left or failed", last.Listing)
	}
	if last.Records != sum.Counts || last.Records.New != 95 {
		t.Errorf("last report: records %+v, summary %+v", last.Records, sum.Counts)
	}
	if last.Requests != sum.Requests || last.Retries != 1 {
		t.Errorf("last report: %d requests (summary %d), %d retries (want 1)", last.Requests, sum.Requests, last.Retries)
	}
	if !last.AllKnown {
		t.Error("the listing states its total, yet the pages left were never all known")
	}
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if b.Listing.Done < a.Listing.Done || b.Records.New < a.Records.New || b.Requests < a.Requests || b.Elapsed < a.Elapsed {
			t.Errorf("report %d went backwards: %+v after %+v", i, b, a)
		}
		if b.AllKnown && b.Listing.Done+b.Listing.Left+b.Listing.Failed > 10 {
			t.Errorf("report %d: %d done + %d left of a 10-page listing", i, b.Listing.Done, b.Listing.Left)
		}
	}
}

// A failed page is counted as failed, not done.
func TestProgressCountsFailures(t *testing.T) {
	srv := serve(t, 45)
	srv.Inject(uri(srv, 2), fixtures.Fault{Status: 404})
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := testConfig(srv.ListingURL(0))
	var last crawler.Progress
	cfg.Progress = func(p crawler.Progress) { last = p }
	crawl(t, db, cfg) // partial: the 404
	if last.Listing.Failed != 1 || last.Listing.Done != 4 {
		t.Errorf("listing %+v, want 4 done and 1 failed", last.Listing)
	}
}

// Document pages and attachments are counted in their own tallies.
func TestProgressCountsDocumentsAndFiles(t *testing.T) {
	srv := serveWith(t, 30, nil)
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := detailsConfig(srv, t.TempDir())
	var last crawler.Progress
	cfg.Progress = func(p crawler.Progress) { last = p }
	if _, err := crawl(t, db, cfg); err != nil {
		t.Fatal(err)
	}
	files := manifest(t, db)
	if last.Listing.Done != 3 || last.Documents.Done != 30 || last.Documents.Left != 0 {
		t.Errorf("listing %+v, documents %+v; want 3 listing pages, 30 documents", last.Listing, last.Documents)
	}
	if last.Files.Done+last.Files.Failed != len(files) || len(files) == 0 {
		t.Errorf("files %+v, the manifest has %d", last.Files, len(files))
	}
}

// Once the listing's page count is known, every report counts all its pages:
// a page fetched and waiting to be stored (group commit) is still left, so
// the total a terminal shows ("3/10") does not shrink and grow back.
func TestProgressTotalSteady(t *testing.T) {
	srv := serve(t, 95) // 10 pages of 10
	db := openDB(t, filepath.Join(t.TempDir(), "h.db"))
	cfg := testConfig(srv.ListingURL(0))
	cfg.Concurrency = 2
	var got []crawler.Progress
	cfg.Progress = func(p crawler.Progress) { got = append(got, p) }
	if _, err := crawl(t, db, cfg); err != nil {
		t.Fatal(err)
	}
	known := 0
	for i, p := range got {
		if !p.AllKnown {
			continue
		}
		known++
		if n := p.Listing.Done + p.Listing.Failed + p.Listing.Left; n != 10 {
			t.Errorf("report %d: %d done + %d failed + %d left = %d pages of a 10-page listing", i, p.Listing.Done, p.Listing.Failed, p.Listing.Left, n)
		}
	}
	if known == 0 {
		t.Error("no report knew the listing's page count")
	}
}
