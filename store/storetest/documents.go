package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/store"
)

func due(t *testing.T, b store.Backend, walkID int64, all bool) []harvest.DocumentTask {
	t.Helper()
	var out []harvest.DocumentTask
	if err := b.DocumentsDue(ctx, walkID, all, func(d harvest.DocumentTask) error { out = append(out, d); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func documents(t *testing.T, b store.Backend) []harvest.Document {
	t.Helper()
	var out []harvest.Document
	if err := b.Documents(ctx, func(d harvest.Document) error { out = append(out, d); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func saveDocs(t *testing.T, b store.Backend, docs ...harvest.DocumentResult) {
	t.Helper()
	if err := b.SaveDocuments(ctx, docs); err != nil {
		t.Fatal(err)
	}
}

func urls(tasks []harvest.DocumentTask) []string {
	var out []string
	for _, d := range tasks {
		out = append(out, d.URL)
	}
	return out
}

// doc is a document page with some of everything.
func doc(url string) harvest.Document {
	return harvest.Document{
		URL: url, NodeID: "120500", Title: "T of " + url, Date: "1955-12-07", DateText: "December 7, 1955", Summary: "d",
		Fields: []harvest.Field{
			{Key: "source", Label: "Source", Values: []string{"AVPRF"}},
			{Key: "subjects", Label: "Subjects Discussed", Values: []string{"Korea (North)--Politics", "Plenums"}},
			{Label: "Provenance Note", Values: []string{"kept, though no profile knows it"}},
		},
		Texts:  []harvest.Text{{Label: "Translation", Body: "one\n\ntwo"}},
		Links:  []harvest.Link{{URL: url + "/download", Label: "Original Scan"}},
		Status: 200,
	}
}

// Document pages: what is due (new, failed, listing row changed), what a
// stored page holds when read back, a 304 and a failure keeping the page.
func testDocuments(t *testing.T, b store.Backend, clk *clock) {
	w := walk(t, b)
	a, bb, c := rec("http://x/document/a", "A"), rec("http://x/document/b", "B"), rec("http://x/document/c", "C")
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing, Status: 200, Records: []harvest.Record{a, bb, c}})
	got := due(t, b, w.ID, false)
	want := []harvest.DocumentTask{{URL: a.URL, ListingHash: harvest.ListingHash(a)}, {URL: bb.URL, ListingHash: harvest.ListingHash(bb)}, {URL: c.URL, ListingHash: harvest.ListingHash(c)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("due at first (-want +got):\n%s", diff)
	}
	da := doc(a.URL)
	saveDocs(t, b,
		harvest.DocumentResult{WalkID: w.ID, Document: da, ListingHash: got[0].ListingHash, ETag: `"e1"`, LastModified: "Mon, 02 Jan 2006 15:04:05 GMT"},
		harvest.DocumentResult{WalkID: w.ID, Document: harvest.Document{URL: bb.URL, Status: 410}, ListingHash: got[1].ListingHash, Err: errors.New("HTTP 410 Gone")},
	)
	da.FetchedAt = Start
	if diff := cmp.Diff([]harvest.Document{da}, documents(t, b)); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
	got = due(t, b, w.ID, false)
	want = []harvest.DocumentTask{{URL: bb.URL, ListingHash: harvest.ListingHash(bb), Attempts: 1}, {URL: c.URL, ListingHash: harvest.ListingHash(c)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("due after a stored and b failed (-want +got):\n%s", diff)
	}

	// The listing row of a changes: due again, asked for unconditionally.
	clk.add(time.Hour)
	a2 := a
	a2.Summary = "a new summary"
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing, Status: 200, Records: []harvest.Record{a2, bb, c}})
	got = due(t, b, w.ID, false)
	if len(got) != 3 || got[0].URL != a.URL || got[0].ListingHash != harvest.ListingHash(a2) || !got[0].Stored || got[0].ETag != "" {
		t.Fatalf("due after a's listing row changed: %+v; want a first, stored, its new listing hash, no validators", got)
	}
	// A 304 for it: the page stands, seen again; no longer due.
	at := clk.add(time.Hour)
	saveDocs(t, b, harvest.DocumentResult{WalkID: w.ID, Document: harvest.Document{URL: a.URL, Status: 304}, ListingHash: got[0].ListingHash, NotModified: true})
	if diff := cmp.Diff([]string{bb.URL, c.URL}, urls(due(t, b, w.ID, false))); diff != "" {
		t.Errorf("due after a 304 for a (-want +got):\n%s", diff)
	}
	// Validators kept across a 304 are offered when the page is asked for again.
	got = due(t, b, w.ID+1, true)
	if got[0].URL != a.URL || got[0].ETag != `"e1"` || got[0].LastModified == "" {
		t.Errorf("validators of a after a 304: %+v", got[0])
	}
	// A failure after a stored page keeps the page, with the failure's status.
	saveDocs(t, b, harvest.DocumentResult{WalkID: w.ID, Document: harvest.Document{URL: a.URL, Status: 503}, Err: errors.New("HTTP 503")})
	docs := documents(t, b)
	if len(docs) != 1 || docs[0].Title != da.Title || docs[0].Status != 503 || !docs[0].FetchedAt.Equal(at) {
		t.Errorf("documents after a failed re-fetch: %+v; want a's page kept, status 503, fetched at %v", docs, at)
	}
	if got := urls(due(t, b, w.ID, false)); len(got) != 3 {
		t.Errorf("due after a's re-fetch failed: %v; want a, b, c", got)
	}
	// b at last: stored, and in the order of the records.
	saveDocs(t, b, harvest.DocumentResult{WalkID: w.ID, Document: doc(bb.URL), ListingHash: harvest.ListingHash(bb)})
	var order []string
	for _, d := range documents(t, b) {
		order = append(order, d.URL)
	}
	if diff := cmp.Diff([]string{a.URL, bb.URL}, order); diff != "" {
		t.Errorf("documents order (-want +got):\n%s", diff)
	}
	// A record gone from the listing is not due.
	if err := b.FinishWalk(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	w2 := walk(t, b)
	save(t, b, harvest.PageResult{WalkID: w2.ID, URL: listing, Status: 200, Records: []harvest.Record{a2, bb}})
	if _, err := b.MarkGone(ctx, w2, 0); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{a.URL}, urls(due(t, b, w2.ID, false))); diff != "" {
		t.Errorf("due with c gone, a failed last (-want +got):\n%s", diff)
	}
}

// --details=all: every listed record is due until this walk fetched it, so
// an interrupted run fetches each page once.
func testDocumentsAll(t *testing.T, b store.Backend, clk *clock) {
	w := walk(t, b)
	a, bb := rec("http://x/document/a", "A"), rec("http://x/document/b", "B")
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing, Status: 200, Records: []harvest.Record{a, bb}})
	for _, r := range []harvest.Record{a, bb} {
		saveDocs(t, b, harvest.DocumentResult{WalkID: w.ID, Document: doc(r.URL), ListingHash: harvest.ListingHash(r)})
	}
	if got := due(t, b, w.ID, false); len(got) != 0 {
		t.Errorf("due: %v; want none", urls(got))
	}
	if got := due(t, b, w.ID, true); len(got) != 0 {
		t.Errorf("due (all) in the walk that fetched them: %v; want none", urls(got))
	}
	if err := b.FinishWalk(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	w2 := walk(t, b)
	got := due(t, b, w2.ID, true)
	if diff := cmp.Diff([]string{a.URL, bb.URL}, urls(got)); diff != "" {
		t.Fatalf("due (all) in a new walk (-want +got):\n%s", diff)
	}
	if !got[0].Stored {
		t.Errorf("a is stored: %+v", got[0])
	}
	saveDocs(t, b, harvest.DocumentResult{WalkID: w2.ID, Document: harvest.Document{URL: a.URL, Status: 304}, ListingHash: got[0].ListingHash, NotModified: true})
	if diff := cmp.Diff([]string{bb.URL}, urls(due(t, b, w2.ID, true))); diff != "" {
		t.Errorf("due (all) after a was fetched in this walk (-want +got):\n%s", diff)
	}
}

func filesOf(t *testing.T, b store.Backend) []harvest.FileEntry {
	t.Helper()
	var out []harvest.FileEntry
	if err := b.Files(ctx, func(e harvest.FileEntry) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func filesDue(t *testing.T, b store.Backend) []harvest.FileTask {
	t.Helper()
	var out []harvest.FileTask
	if err := b.FilesDue(ctx, func(f harvest.FileTask) error { out = append(out, f); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// Attachments: every link of every stored page is listed once, with its
// manifest row when downloaded; the manifest is read in record and page
// order; a failure is kept apart from the manifest.
func testFiles(t *testing.T, b store.Backend, clk *clock) {
	w := walk(t, b)
	a, bb := rec("http://x/document/a", "A"), rec("http://x/document/b", "B")
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing, Status: 200, Records: []harvest.Record{a, bb}})
	da, db := doc(a.URL), doc(bb.URL)
	da.Links = []harvest.Link{{URL: "http://x/1.pdf", Label: "Scan"}, {URL: "http://x/2.pdf", Label: "Translation"}, {URL: "http://x/1.pdf", Label: "Scan again"}}
	db.Links = []harvest.Link{{URL: "http://x/1.pdf", Label: "Shared scan"}}
	// b's page is stored first; the order is still the records'.
	saveDocs(t, b, harvest.DocumentResult{WalkID: w.ID, Document: db}, harvest.DocumentResult{WalkID: w.ID, Document: da})
	want := []harvest.FileTask{
		{RecordURL: a.URL, URL: "http://x/1.pdf", Label: "Scan", Position: 0},
		{RecordURL: a.URL, URL: "http://x/2.pdf", Label: "Translation", Position: 1},
		{RecordURL: bb.URL, URL: "http://x/1.pdf", Label: "Shared scan", Position: 0},
	}
	if diff := cmp.Diff(want, filesDue(t, b)); diff != "" {
		t.Fatalf("files due (-want +got):\n%s", diff)
	}
	e2 := harvest.FileEntry{RecordURL: a.URL, URL: "http://x/2.pdf", Label: "Translation", ContentType: "application/pdf", Size: 20, SHA256: "22"}
	e1 := harvest.FileEntry{RecordURL: a.URL, URL: "http://x/1.pdf", Label: "Scan", ContentType: "application/pdf", Size: 10, SHA256: "11"}
	for _, s := range []struct {
		e   harvest.FileEntry
		pos int
	}{{e2, 1}, {e1, 0}} {
		if err := b.SaveFile(ctx, s.e, s.pos); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.MarkFileFailed(ctx, want[2], 404, errors.New("HTTP 404")); err != nil {
		t.Fatal(err)
	}
	e1.FetchedAt, e2.FetchedAt = Start, Start
	if diff := cmp.Diff([]harvest.FileEntry{e1, e2}, filesOf(t, b)); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}
	got := filesDue(t, b)
	want[0].Entry, want[1].Entry = e1, e2
	want[2].Attempts = 1
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files due after downloads (-want +got):\n%s", diff)
	}
	// Saved again (a new download): one row per record and URL.
	later := clk.add(time.Hour)
	e1.SHA256, e1.Size, e1.FetchedAt = "33", 12, time.Time{}
	if err := b.SaveFile(ctx, e1, 0); err != nil {
		t.Fatal(err)
	}
	e3 := harvest.FileEntry{RecordURL: bb.URL, URL: "http://x/1.pdf", Label: "Shared scan", Size: 12, SHA256: "33"}
	if err := b.SaveFile(ctx, e3, 0); err != nil {
		t.Fatal(err)
	}
	e1.FetchedAt, e3.FetchedAt = later, later
	if diff := cmp.Diff([]harvest.FileEntry{e1, e2, e3}, filesOf(t, b)); diff != "" {
		t.Errorf("manifest after downloads again (-want +got):\n%s", diff)
	}
	// A failed download of a file held keeps its manifest row.
	if err := b.MarkFileFailed(ctx, want[0], 500, errors.New("HTTP 500")); err != nil {
		t.Fatal(err)
	}
	if n := len(filesOf(t, b)); n != 3 {
		t.Errorf("manifest rows after a failed re-download: %d, want 3", n)
	}
}
