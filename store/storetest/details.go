package storetest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/store"
)

// Details: every record once, in the order of Records, each with the page
// Documents gives for it, nil for a record with none (never fetched, or
// failed before any page was stored); fn's error stops the walk.
func testDetails(t *testing.T, b store.Backend, clk *clock) {
	w := walk(t, b)
	recs := []harvest.Record{rec("http://x/document/z", "Z"), rec("http://x/document/a", "A"), rec("http://x/document/m", "M"), rec("http://x/document/q", "Q")}
	save(t, b, harvest.PageResult{WalkID: w.ID, URL: listing, Status: 200, Records: recs})
	saveDocs(t, b,
		harvest.DocumentResult{WalkID: w.ID, Document: doc(recs[2].URL)},
		harvest.DocumentResult{WalkID: w.ID, Document: doc(recs[0].URL)},
		harvest.DocumentResult{WalkID: w.ID, Document: harvest.Document{URL: recs[1].URL, Status: 404}, Err: errors.New("HTTP 404")},
	)
	var wantRecs []harvest.Record
	if err := b.Records(ctx, func(r harvest.Record) error { wantRecs = append(wantRecs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	byURL := map[string]*harvest.Document{}
	for _, d := range documents(t, b) {
		byURL[d.URL] = &d
	}
	var gotRecs []harvest.Record
	got := map[string]*harvest.Document{}
	err := b.Details(ctx, func(r harvest.Record, d *harvest.Document) error {
		gotRecs = append(gotRecs, r)
		got[r.URL] = d
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantRecs, gotRecs); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(byURL) != 2 || byURL[recs[0].URL] == nil || byURL[recs[2].URL] == nil {
		t.Fatalf("documents: %v", byURL)
	}
	wantDocs := map[string]*harvest.Document{recs[0].URL: byURL[recs[0].URL], recs[1].URL: nil, recs[2].URL: byURL[recs[2].URL], recs[3].URL: nil}
	if diff := cmp.Diff(wantDocs, got); diff != "" {
		t.Errorf("documents by record (-want +got):\n%s", diff)
	}
	stop := errors.New("stop")
	n := 0
	if err := b.Details(ctx, func(harvest.Record, *harvest.Document) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("fn's error: %v after %d calls", err, n)
	}
}
