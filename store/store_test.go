package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

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

// With WithLock the lock comes before anything else: a second process is
// refused before it could migrate the database under the first.
func TestWithLockComesBeforeMigrating(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	a, err := Open(ctx, path, WithLock())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, path, WithLock()); !errors.Is(err, harvest.ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	a.Close()
	b, err := Open(ctx, path, WithLock())
	if err != nil {
		t.Fatalf("Open after release: %v", err)
	}
	b.Close()
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
	// The newest migration's number (helpers number theirs apart, so the
	// numbers may have gaps until every branch is merged).
	if v, _ := db.SchemaVersion(ctx); v != latestVersion() {
		t.Errorf("schema version %d after upgrade, want %d", v, latestVersion())
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
