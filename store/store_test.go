package store

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/harvest-archive/harvest"
)

// MustOpen opens a database in a temporary directory with a clock the test
// moves.
func MustOpen(tb testing.TB) (*DB, *time.Time) {
	tb.Helper()
	db, err := Open(context.Background(), filepath.Join(tb.TempDir(), "h.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	return db, &now
}

func all(tb testing.TB, db *DB) []harvest.Record {
	tb.Helper()
	var out []harvest.Record
	if err := db.Records(context.Background(), func(r harvest.Record) error { out = append(out, r); return nil }); err != nil {
		tb.Fatal(err)
	}
	return out
}

func rec(url, title string) harvest.Record {
	return harvest.Record{URL: url, Title: title, Date: "1955-12-07", DateText: "December 7, 1955", Summary: "s", ListingURL: "http://x/search"}
}

func TestSavePageDedupsByURL(t *testing.T) {
	ctx := context.Background()
	db, now := MustOpen(t)
	w, err := db.NewWalk(ctx, "http://x/search", harvest.WalkFull, "http://x/search")
	if err != nil {
		t.Fatal(err)
	}
	t0 := *now
	same := "Telegram from A. Mikoyan to the CPSU Central Committee"
	c, err := db.SavePage(ctx, harvest.PageResult{WalkID: w.ID, URL: "http://x/search", Status: 200,
		Records: []harvest.Record{rec("http://x/document/a", same), rec("http://x/document/b", same)},
		Enqueue: []string{"http://x/search?page=1"}})
	if err != nil {
		t.Fatal(err)
	}
	if c != (harvest.Counts{New: 2}) {
		t.Errorf("first page counts = %+v, want 2 new", c)
	}
	*now = now.Add(time.Hour)
	changed := rec("http://x/document/b", same+" (revised)")
	changed.ListingURL = "http://x/search?page=1"
	c, err = db.SavePage(ctx, harvest.PageResult{WalkID: w.ID, URL: "http://x/search?page=1", Status: 200,
		Records: []harvest.Record{rec("http://x/document/a", same), changed}})
	if err != nil {
		t.Fatal(err)
	}
	if c != (harvest.Counts{Updated: 1, Unchanged: 1}) {
		t.Errorf("second page counts = %+v, want 1 updated, 1 unchanged", c)
	}
	a := rec("http://x/document/a", same)
	a.FirstSeen, a.LastSeen = t0, now.UTC()
	changed.FirstSeen, changed.LastSeen = t0, now.UTC()
	if diff := cmp.Diff([]harvest.Record{a, changed}, all(t, db)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	pending, err := db.Pending(ctx, w.ID)
	if err != nil || len(pending) != 0 {
		t.Errorf("pending = %v, %v; want none", pending, err)
	}
}

func TestFrontierResumesFailedFirst(t *testing.T) {
	ctx := context.Background()
	db, _ := MustOpen(t)
	w, _ := db.NewWalk(ctx, "http://x/search", harvest.WalkFull, "http://x/search")
	if _, err := db.SavePage(ctx, harvest.PageResult{WalkID: w.ID, URL: "http://x/search", Status: 200,
		Enqueue: []string{"http://x/search?page=1", "http://x/search?page=2"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkFailed(ctx, w.ID, "http://x/search?page=2", 503, errors.New("Service Unavailable"), nil); err != nil {
		t.Fatal(err)
	}
	found, ok, err := db.FindWalk(ctx, "http://x/search")
	if err != nil || !ok || found.ID != w.ID {
		t.Fatalf("FindWalk = %+v, %v, %v; want walk %d", found, ok, err, w.ID)
	}
	got, err := db.Pending(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []harvest.PendingPage{{URL: "http://x/search?page=2", Kind: harvest.KindListing, Failed: true, Attempts: 1}, {URL: "http://x/search?page=1", Kind: harvest.KindListing}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pending (-want +got):\n%s", diff)
	}
	if err := db.FinishWalk(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.FindWalk(ctx, "http://x/search"); ok {
		t.Error("a finished walk is still found")
	}
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := db.NewWalk(ctx, "http://x/search", harvest.WalkFull, "http://x/search")
	if _, err := db.SavePage(ctx, harvest.PageResult{WalkID: w.ID, URL: "http://x/search", Records: []harvest.Record{rec("http://x/document/a", "A")}}); err != nil {
		t.Fatal(err)
	}
	v1, _ := db.SchemaVersion(ctx)
	db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v2, _ := db.SchemaVersion(ctx)
	if v1 != v2 || v1 == 0 {
		t.Errorf("schema version %d then %d", v1, v2)
	}
	if n, _ := db.Count(ctx); n != 1 {
		t.Errorf("count after reopen = %d, want 1", n)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.db.Exec(`INSERT INTO schema_migrations VALUES (999, 'x')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, path); err == nil {
		t.Fatal("a database from a newer harvest opened without error")
	}
}

func TestLockRefusesSecondHolder(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	a, _ := Open(ctx, path)
	b, _ := Open(ctx, path)
	defer b.Close()
	if err := a.Lock(); err != nil {
		t.Fatal(err)
	}
	if err := b.Lock(); !errors.Is(err, harvest.ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	a.Close() // releases
	if err := b.Lock(); err != nil {
		t.Fatalf("lock after release: %v", err)
	}
}

// A database made by the first schema opens in this harvest, upgraded, with
// its records kept and usable.
func TestOpenUpgradesAnOldDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := migrationFS.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`,
		string(v1),
		`INSERT INTO schema_migrations VALUES (1, '2026-01-01T00:00:00Z')`,
		`INSERT INTO records VALUES ('http://x/document/a', 'A', '1955', '1955', 's', 'http://x/search', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
		`INSERT INTO walks (start_url, started_at, finished_at) VALUES ('http://x/search', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
	} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%v\n%s", err, stmt)
		}
	}
	raw.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names, _ := fs.Glob(migrationFS, "migrations/*.sql")
	if v, _ := db.SchemaVersion(ctx); v != len(names) {
		t.Errorf("schema version %d after upgrade, want %d", v, len(names))
	}
	recs := all(t, db)
	if len(recs) != 1 || recs[0].Title != "A" || !recs[0].GoneAt.IsZero() {
		t.Fatalf("records after upgrade: %+v", recs)
	}
	// The upgraded database takes new pages, history included.
	w, err := db.NewWalk(ctx, "http://x/search", harvest.WalkFull, "http://x/search")
	if err != nil {
		t.Fatal(err)
	}
	changed := rec("http://x/document/a", "A, retitled")
	c, err := db.SavePage(ctx, harvest.PageResult{WalkID: w.ID, URL: "http://x/search", Records: []harvest.Record{changed}})
	if err != nil || c.Updated != 1 {
		t.Fatalf("save after upgrade: %+v, %v", c, err)
	}
}

// Each frontier page keeps its kind; ListingPages finds the listing pages
// of every walk, each under the newest walk that holds it.
func TestKindsAndListingPages(t *testing.T) {
	ctx := context.Background()
	db, _ := MustOpen(t)
	w1, _ := db.NewWalk(ctx, "http://x/search", harvest.WalkFull, "http://x/search")
	if _, err := db.SavePages(ctx, []harvest.PageResult{
		{WalkID: w1.ID, URL: "http://x/search", Enqueue: []string{"http://x/search?page=1"}},
		{WalkID: w1.ID, URL: "http://x/document/a", Kind: harvest.KindDocument},
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishWalk(ctx, w1.ID); err != nil {
		t.Fatal(err)
	}
	w2, _ := db.NewWalk(ctx, "http://x/search", harvest.WalkFull, "http://x/search")
	if err := db.MarkFailedKind(ctx, w2.ID, "http://x/search", harvest.KindListing, 500, errors.New("boom"), nil); err != nil {
		t.Fatal(err)
	}
	pending, err := db.Pending(ctx, w1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]harvest.PendingPage{{URL: "http://x/search?page=1", Kind: harvest.KindListing}}, pending); diff != "" {
		t.Errorf("pending (-want +got):\n%s", diff)
	}
	type page struct {
		URL  string
		Walk int64
	}
	var got []page
	if err := db.ListingPages(ctx, func(u string, w int64) error { got = append(got, page{u, w}); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []page{{"http://x/search?page=1", w1.ID}, {"http://x/search", w2.ID}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listing pages (-want +got):\n%s", diff)
	}
}
