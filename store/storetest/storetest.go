// Package storetest is the conformance suite of store.Backend: the
// behaviour the crawler and the commands rely on, written so that any
// backend (SQLite today, PostgreSQL next) can be held to it. It knows no SQL.
package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/store"
)

// Start is the time every subtest's clock begins at.
var Start = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// clock is a test's time, moved by the suite.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

var clocks sync.Map // *testing.T -> *clock

// Now is the clock of the running subtest: open must give it to the backend
// as its source of time stamps (for SQLite, store.WithClock(storetest.Now(t))).
func Now(t *testing.T) func() time.Time {
	c, _ := clocks.LoadOrStore(t, &clock{t: Start})
	return c.(*clock).now
}

// Run runs the suite: open must return a new, empty backend for each
// subtest, stamping times with Now(t), closed when the test ends.
func Run(t *testing.T, open func(t *testing.T) store.Backend) {
	for _, c := range []struct {
		name string
		test func(t *testing.T, b store.Backend, clk *clock)
	}{
		{"UpsertDedupsByURLAndCounts", testUpsert},
		{"RecordsComeInFirstStoredOrder", testRecordsOrder},
		{"HistoryKeepsEachChangedFieldGoneAndReturned", testHistory},
		{"UnfinishedWalkResumesFailedFirstThenInOrder", testResume},
		{"FrontierKeepsFailedAndSkippedPages", testFailedSkipped},
		{"PageCacheRoundTripAndNotModified", testPageCache},
		{"MarkGoneTouchesOnlyThisListingsUnseenRecords", testMarkGone},
		{"RunsBeginFinishAndShowInStats", testRuns},
		{"KindsAreStoredAndReturned", testKinds},
		{"ListingPagesUnderNewestWalk", testListingPages},
		{"PagesSeenEarlierKeepTheirTime", testSeenAt},
		{"ReparsedPagesChangeOnlyWhatTheyShow", testReparsed},
		{"DocumentsDueStoredFailedAndChanged", testDocuments},
		{"DocumentsAllRefetchesEachOncePerWalk", testDocumentsAll},
		{"FilesManifestDueAndOrder", testFiles},
		{"DetailsPairEachRecordWithItsDocument", testDetails},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := &clock{t: Start}
			clocks.Store(t, clk)
			t.Cleanup(func() { clocks.Delete(t) })
			b := open(t)
			c.test(t, b, clk)
		})
	}
}

var ctx = context.Background()

const listing = "http://x/search"

func rec(url, title string) harvest.Record {
	return harvest.Record{URL: url, Title: title, Date: "1955-12-07", DateText: "December 7, 1955", Summary: "s", ListingURL: listing}
}

func walk(t *testing.T, b store.Backend) harvest.Walk {
	t.Helper()
	w, err := b.NewWalk(ctx, listing, harvest.WalkFull, listing)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func save(t *testing.T, b store.Backend, p harvest.PageResult) harvest.Counts {
	t.Helper()
	cs, err := b.SavePages(ctx, []harvest.PageResult{p})
	if err != nil {
		t.Fatal(err)
	}
	return cs[0]
}

func records(t *testing.T, b store.Backend) []harvest.Record {
	t.Helper()
	var out []harvest.Record
	if err := b.Records(ctx, func(r harvest.Record) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func changes(t *testing.T, b store.Backend, url string) []harvest.Change {
	t.Helper()
	var out []harvest.Change
	if err := b.Changes(ctx, url, func(c harvest.Change) error { out = append(out, c); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func testUpsert(t *testing.T, b store.Backend, clk *clock) {
	w := walk(t, b)
	same := "Telegram from A. Mikoyan to the CPSU Central Committee"
	if c := save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing, Status: 200,
		Records: []harvest.Record{rec("http://x/document/a", same), rec("http://x/document/b", same)}}); c != (harvest.Counts{New: 2}) {
		t.Errorf("first page: %+v, want 2 new (same title, different URLs: two records)", c)
	}
	later := clk.add(time.Hour)
	changed := rec("http://x/document/b", same+" (revised)")
	if c := save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing + "?page=1", Status: 200,
		Records: []harvest.Record{rec("http://x/document/a", same), changed}}); c != (harvest.Counts{Updated: 1, Unchanged: 1}) {
		t.Errorf("second page: %+v, want 1 updated, 1 unchanged", c)
	}
	a := rec("http://x/document/a", same)
	a.FirstSeen, a.LastSeen = Start, later
	changed.FirstSeen, changed.LastSeen = Start, later
	if diff := cmp.Diff([]harvest.Record{a, changed}, records(t, b)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if n, err := b.Count(ctx); err != nil || n != 2 {
		t.Errorf("Count = %d, %v; want 2", n, err)
	}
	if n, err := b.WalkRecords(ctx, w.ID); err != nil || n != 2 {
		t.Errorf("WalkRecords = %d, %v; want 2", n, err)
	}
}

func testRecordsOrder(t *testing.T, b store.Backend, clk *clock) {
	w := walk(t, b)
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing, Records: []harvest.Record{rec("http://x/document/z", "Z"), rec("http://x/document/a", "A")}})
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing + "?page=1", Records: []harvest.Record{rec("http://x/document/m", "M"), rec("http://x/document/z", "Z2")}})
	var got []string
	for _, r := range records(t, b) {
		got = append(got, r.URL)
	}
	if diff := cmp.Diff([]string{"http://x/document/z", "http://x/document/a", "http://x/document/m"}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func testHistory(t *testing.T, b store.Backend, clk *clock) {
	w := walk(t, b)
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing, Records: []harvest.Record{rec("http://x/document/a", "A"), rec("http://x/document/b", "B")}})
	if err := b.FinishWalk(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	t1 := clk.add(time.Hour)
	w2 := walk(t, b)
	edited := rec("http://x/document/a", "A2")
	edited.Summary = "s2"
	save(t, b, harvest.PageResult{WalkID: w2.ID, URL: listing, Records: []harvest.Record{edited}})
	if n, err := b.MarkGone(ctx, w2, 0); err != nil || n != 1 {
		t.Fatalf("MarkGone = %d, %v; want 1 (b)", n, err)
	}
	if err := b.FinishWalk(ctx, w2.ID); err != nil {
		t.Fatal(err)
	}
	t2 := clk.add(time.Hour)
	w3 := walk(t, b)
	save(t, b, harvest.PageResult{WalkID: w3.ID, URL: listing, Records: []harvest.Record{edited, rec("http://x/document/b", "B")}})
	want := []harvest.Change{
		{URL: "http://x/document/a", ChangedAt: t1, Field: "title", Old: "A", New: "A2", ListingURL: listing},
		{URL: "http://x/document/a", ChangedAt: t1, Field: "summary", Old: "s", New: "s2", ListingURL: listing},
		{URL: "http://x/document/b", ChangedAt: t1, Field: "gone", Old: "", New: harvest.FormatTime(t1), ListingURL: listing},
		{URL: "http://x/document/b", ChangedAt: t2, Field: "returned", Old: harvest.FormatTime(t1), New: "", ListingURL: listing},
	}
	if diff := cmp.Diff(want, changes(t, b, "")); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[2:], changes(t, b, "http://x/document/b")); diff != "" {
		t.Errorf("changes of b (-want +got):\n%s", diff)
	}
	for _, r := range records(t, b) {
		if !r.GoneAt.IsZero() {
			t.Errorf("%s is still marked gone after it returned", r.URL)
		}
	}
}

func testResume(t *testing.T, b store.Backend, clk *clock) {
	w := walk(t, b)
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing, Status: 200,
		Enqueue: []string{listing + "?page=1", listing + "?page=2", listing + "?page=3"}})
	if err := b.MarkFailed(ctx, w.ID, listing+"?page=2", 503, errors.New("service unavailable"), nil); err != nil {
		t.Fatal(err)
	}
	found, ok, err := b.FindWalk(ctx, listing)
	if err != nil || !ok || found.ID != w.ID {
		t.Fatalf("FindWalk = %+v, %v, %v; want walk %d", found, ok, err, w.ID)
	}
	got, err := b.Pending(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []harvest.PendingPage{
		{URL: listing + "?page=2", Kind: harvest.KindListing, Failed: true, Attempts: 1},
		{URL: listing + "?page=1", Kind: harvest.KindListing},
		{URL: listing + "?page=3", Kind: harvest.KindListing},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pending (-want +got):\n%s", diff)
	}
	seq1, done, known, err := b.Known(ctx, w.ID, listing+"?page=1")
	if err != nil || done || !known {
		t.Errorf("Known(page 1) = %d, done %v, known %v, %v; want known, not done", seq1, done, known, err)
	}
	seq3, _, _, _ := b.Known(ctx, w.ID, listing+"?page=3")
	if seq3 <= seq1 {
		t.Errorf("seq of page 3 (%d) not after page 1 (%d)", seq3, seq1)
	}
	if _, done, known, _ := b.Known(ctx, w.ID, listing); !done || !known {
		t.Errorf("Known(start) = done %v, known %v; want both", done, known)
	}
	if _, _, known, _ := b.Known(ctx, w.ID, listing+"?page=9"); known {
		t.Error("a page never met is known")
	}
	if err := b.FinishWalk(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := b.FindWalk(ctx, listing); ok {
		t.Error("a finished walk is still found")
	}
}

func testFailedSkipped(t *testing.T, b store.Backend, clk *clock) {
	w := walk(t, b)
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing, Status: 200, Enqueue: []string{listing + "?page=1"}})
	if err := b.MarkFailed(ctx, w.ID, listing+"?page=1", 500, errors.New("boom"), []string{listing + "?page=2"}); err != nil {
		t.Fatal(err)
	}
	if err := b.MarkSkipped(ctx, w.ID, listing+"?page=3", "robots.txt"); err != nil {
		t.Fatal(err)
	}
	pages, err := b.Frontier(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ URL, State, Error string }
	var got []row
	for _, p := range pages {
		got = append(got, row{p.URL, p.State, p.Error})
	}
	want := []row{{listing, "done", ""}, {listing + "?page=1", "failed", "boom"}, {listing + "?page=2", "pending", ""}, {listing + "?page=3", "skipped", "robots.txt"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("frontier (-want +got):\n%s", diff)
	}
	s, err := b.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantFailed := []store.FailedPage{{URL: listing + "?page=1", State: "failed", Status: 500, Error: "boom"}, {URL: listing + "?page=3", State: "skipped", Error: "robots.txt"}}
	if diff := cmp.Diff(wantFailed, s.FailedPages); diff != "" {
		t.Errorf("stats failed pages (-want +got):\n%s", diff)
	}
}

func testPageCache(t *testing.T, b store.Backend, clk *clock) {
	if ok, err := b.HasPageCache(ctx); err != nil || ok {
		t.Errorf("HasPageCache of a new store = %v, %v", ok, err)
	}
	w := walk(t, b)
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing, Status: 200, Total: 40, ETag: `"v1"`, LastModified: "Tue, 01 Dec 2026 00:00:00 GMT",
		Next: listing + "?page=1", Records: []harvest.Record{rec("http://x/document/a", "A"), rec("http://x/document/b", "B")}})
	got, ok, err := b.PageCache(ctx, listing)
	want := harvest.CachedPage{URL: listing, ETag: `"v1"`, LastModified: "Tue, 01 Dec 2026 00:00:00 GMT", Next: listing + "?page=1", Total: 40}
	if err != nil || !ok || got != want {
		t.Errorf("PageCache = %+v, %v, %v; want %+v", got, ok, err, want)
	}
	if _, ok, err := b.PageCache(ctx, listing+"?page=9"); err != nil || ok {
		t.Errorf("PageCache of an unknown page = %v, %v", ok, err)
	}
	if ok, err := b.HasPageCache(ctx); err != nil || !ok {
		t.Errorf("HasPageCache = %v, %v; want true", ok, err)
	}
	if err := b.FinishWalk(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	later := clk.add(time.Hour)
	w2 := walk(t, b)
	if c := save(t, b, harvest.PageResult{WalkID: w2.ID, URL: listing, Status: 304, NotModified: true}); c != (harvest.Counts{Unchanged: 2}) {
		t.Errorf("304 page counts = %+v, want 2 unchanged", c)
	}
	for _, r := range records(t, b) {
		if !r.LastSeen.Equal(later) {
			t.Errorf("%s last seen %v after a 304, want %v", r.URL, r.LastSeen, later)
		}
	}
	if n, err := b.WalkRecords(ctx, w2.ID); err != nil || n != 2 {
		t.Errorf("WalkRecords after a 304 = %d, %v; want 2", n, err)
	}
	held := map[string][]string{}
	if err := b.PageRecords(ctx, w2.ID, func(page string, recs []string) { held[page] = recs }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]string{listing: {"http://x/document/a", "http://x/document/b"}}, held); diff != "" {
		t.Errorf("PageRecords (-want +got):\n%s", diff)
	}
}

func testMarkGone(t *testing.T, b store.Backend, clk *clock) {
	other := "http://x/other"
	w := walk(t, b)
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing, Records: []harvest.Record{rec("http://x/document/a", "A"), rec("http://x/document/b", "B")}})
	ow, err := b.NewWalk(ctx, other, harvest.WalkFull, other)
	if err != nil {
		t.Fatal(err)
	}
	save(t, b, harvest.PageResult{WalkID: ow.ID, URL: other, Records: []harvest.Record{rec("http://x/document/c", "C")}})
	for _, id := range []int64{w.ID, ow.ID} {
		if err := b.FinishWalk(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	clk.add(time.Hour)
	w2 := walk(t, b)
	save(t, b, harvest.PageResult{WalkID: w2.ID, URL: listing, Records: []harvest.Record{rec("http://x/document/a", "A")}})
	n, err := b.MarkGone(ctx, w2, 0)
	if err != nil || n != 1 {
		t.Fatalf("MarkGone = %d, %v; want 1", n, err)
	}
	gone := map[string]bool{}
	for _, r := range records(t, b) {
		gone[r.URL] = !r.GoneAt.IsZero()
	}
	if diff := cmp.Diff(map[string]bool{"http://x/document/a": false, "http://x/document/b": true, "http://x/document/c": false}, gone); diff != "" {
		t.Errorf("gone (-want +got):\n%s", diff)
	}
	if s, err := b.Stats(ctx); err != nil || s.Gone != 1 || s.Records != 3 {
		t.Errorf("Stats = %+v, %v; want 3 records, 1 gone", s, err)
	}
}

func testRuns(t *testing.T, b store.Backend, clk *clock) {
	w := walk(t, b)
	id, err := b.BeginRun(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	save(t, b, harvest.PageResult{WalkID: w.ID, RunID: id, URL: listing, Total: 1, Records: []harvest.Record{rec("http://x/document/a", "A")}})
	end := clk.add(time.Minute)
	sum := harvest.RunSummary{Pages: 1, Requests: 2, Counts: harvest.Counts{New: 1}, Records: 1, TotalReported: 1, Mode: harvest.WalkFull, Outcome: harvest.OutcomeComplete}
	if err := b.FinishRun(ctx, id, sum); err != nil {
		t.Fatal(err)
	}
	if err := b.FinishWalk(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	runs, err := b.Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Run{{ID: id, StartURL: listing, StartedAt: Start, EndedAt: end, RunSummary: sum}}
	if diff := cmp.Diff(want, runs); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	s, err := b.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, s.Runs); diff != "" {
		t.Errorf("stats runs (-want +got):\n%s", diff)
	}
	wantListings := []store.ListingStats{{Listing: listing, Total: 1, Seen: 1, FinishedAt: end}}
	if diff := cmp.Diff(wantListings, s.Listings); diff != "" {
		t.Errorf("stats listings (-want +got):\n%s", diff)
	}
	if last, err := b.LastWalk(ctx, listing); err != nil || last.ID != w.ID || last.Total != 1 {
		t.Errorf("LastWalk = %+v, %v; want walk %d of total 1", last, err, w.ID)
	}
}

func testKinds(t *testing.T, b store.Backend, clk *clock) {
	w := walk(t, b)
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing, Enqueue: []string{listing + "?page=1"}})
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: "http://x/document/a", Kind: harvest.KindDocument})
	if err := b.MarkFailedKind(ctx, w.ID, listing+"?page=1", harvest.KindAttachment, 404, errors.New("not found"), nil); err != nil {
		t.Fatal(err)
	}
	pages, err := b.Frontier(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range pages {
		got[p.URL] = p.Kind
	}
	want := map[string]string{listing: harvest.KindListing, listing + "?page=1": harvest.KindAttachment, "http://x/document/a": harvest.KindDocument}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}
	pending, err := b.Pending(ctx, w.ID)
	if err != nil || len(pending) != 1 || pending[0].Kind != harvest.KindAttachment {
		t.Errorf("Pending = %+v, %v; want the attachment page", pending, err)
	}
	if err := b.MarkFailed(ctx, w.ID, listing+"?page=1", 404, errors.New("not found"), nil); err != nil {
		t.Fatal(err)
	}
	if pending, _ := b.Pending(ctx, w.ID); len(pending) != 1 || pending[0].Kind != harvest.KindAttachment {
		t.Errorf("MarkFailed changed the kind: %+v", pending)
	}
}

func testListingPages(t *testing.T, b store.Backend, clk *clock) {
	w1 := walk(t, b)
	save(t, b, harvest.PageResult{WalkID: w1.ID, URL: listing, Enqueue: []string{listing + "?page=1"}})
	save(t, b, harvest.PageResult{WalkID: w1.ID, URL: "http://x/document/a", Kind: harvest.KindDocument})
	if err := b.FinishWalk(ctx, w1.ID); err != nil {
		t.Fatal(err)
	}
	w2 := walk(t, b)
	type page struct {
		URL  string
		Walk int64
	}
	var got []page
	if err := b.ListingPages(ctx, func(u string, w int64) error { got = append(got, page{u, w}); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []page{{listing + "?page=1", w1.ID}, {listing, w2.ID}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listing pages (-want +got):\n%s", diff)
	}
	stop := errors.New("stop")
	if err := b.ListingPages(ctx, func(string, int64) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("ListingPages returned %v, want fn's error", err)
	}
}

// A page re-parsed from a capture (SeenAt) stores its records as seen when
// it was captured; a capture older than what is stored never moves
// last_seen back.
func testSeenAt(t *testing.T, b store.Backend, clk *clock) {
	w := walk(t, b)
	captured := Start.Add(-48 * time.Hour)
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing, Status: 200, SeenAt: captured,
		Records: []harvest.Record{rec("http://x/document/a", "A")}})
	got := records(t, b)
	if len(got) != 1 || !got[0].FirstSeen.Equal(captured) || !got[0].LastSeen.Equal(captured) {
		t.Fatalf("records %+v; want first and last seen at the capture, %v", got, captured)
	}
	later := clk.add(time.Hour)
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing, Status: 200, Records: []harvest.Record{rec("http://x/document/a", "A")}})
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing, Status: 200, SeenAt: captured.Add(time.Hour),
		Records: []harvest.Record{rec("http://x/document/a", "A")}})
	got = records(t, b)
	if !got[0].FirstSeen.Equal(captured) || !got[0].LastSeen.Equal(later) {
		t.Errorf("first seen %v, last seen %v; want %v and %v", got[0].FirstSeen, got[0].LastSeen, captured, later)
	}
}

// A page parsed again from its capture (Reparsed) is not a fetch: it fixes
// the fields of the records it was the last to show, with history; it
// leaves a pending page pending, a gone record gone, and a record seen
// since on another page as that sighting left it; parsed into the same
// records, it writes nothing.
func testReparsed(t *testing.T, b store.Backend, clk *clock) {
	captured := Start
	page2 := listing + "?page=1"
	w := walk(t, b)
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing, Status: 200,
		Records: []harvest.Record{rec("http://x/document/a", "A"), rec("http://x/document/b", "B"), rec("http://x/document/g", "G")},
		Enqueue: []string{page2}})
	// Later: b moved to page 2, g left the listing (a complete walk).
	clk.add(time.Hour)
	moved := rec("http://x/document/b", "B")
	moved.ListingURL = page2
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: page2, Status: 200, Records: []harvest.Record{moved}})
	if err := b.FinishWalk(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	w2 := walk(t, b)
	save(t, b, harvest.PageResult{WalkID: w2.ID, URL: listing, Status: 200, Records: []harvest.Record{rec("http://x/document/a", "A")}, Enqueue: []string{page2}})
	if _, err := b.MarkGone(ctx, w2, 0); err != nil { // w2 is left unfinished, page 2 pending
		t.Fatal(err)
	}
	before := changes(t, b, "")

	// The first capture of the listing, read by a fixed parser: every title
	// reads differently now.
	reparse := func(wid int64) harvest.Counts {
		return save(t, b, harvest.PageResult{WalkID: wid, URL: listing, Status: 200, Reparsed: true, SeenAt: captured,
			Records: []harvest.Record{rec("http://x/document/a", "A fixed"), rec("http://x/document/b", "B fixed"), rec("http://x/document/g", "G fixed")}})
	}
	if c := reparse(w2.ID); c != (harvest.Counts{Updated: 2, Unchanged: 1}) {
		t.Errorf("reparse: %+v; want a and g updated, b (seen since on page 2) left", c)
	}
	byURL := map[string]harvest.Record{}
	for _, r := range records(t, b) {
		byURL[r.URL] = r
	}
	if byURL["http://x/document/a"].Title != "A fixed" || byURL["http://x/document/b"].Title != "B" || byURL["http://x/document/b"].ListingURL != page2 {
		t.Errorf("records after reparse: %+v", byURL)
	}
	if g := byURL["http://x/document/g"]; g.Title != "G fixed" || g.GoneAt.IsZero() {
		t.Errorf("gone record after reparse: %+v; want its title fixed and still gone", g)
	}
	after := changes(t, b, "")
	if len(after)-len(before) != 2 {
		t.Errorf("%d history rows added, want 2 (the two titles)", len(after)-len(before))
	}
	for _, ch := range after[len(before):] {
		if ch.Field == "returned" {
			t.Errorf("a reparse wrote %+v", ch)
		}
	}
	pending, err := b.Pending(ctx, w2.ID)
	if err != nil || len(pending) != 1 || pending[0].URL != page2 {
		t.Errorf("pending of the unfinished walk after reparse = %+v, %v; want page 2 still", pending, err)
	}
	// The same parse again: nothing to write.
	if c := reparse(w2.ID); c != (harvest.Counts{Unchanged: 3}) || len(changes(t, b, "")) != len(after) {
		t.Errorf("second reparse: %+v, %d history rows; want nothing written", c, len(changes(t, b, ""))-len(after))
	}
}
