package pgstore_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/crawler"
	"github.com/harvest-archive/harvest/export"
	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/store"
	"github.com/harvest-archive/harvest/store/pgstore"
	"github.com/harvest-archive/harvest/store/pgstore/pgtest"
)

// harvestInto crawls srv's listing into st: a quick, impolite config for a
// local server.
func harvestInto(t *testing.T, st crawler.Store, srv *fixtures.Server) {
	t.Helper()
	cfg := crawler.DefaultConfig(srv.ListingURL(0))
	cfg.Delay, cfg.Backoff, cfg.Timeout, cfg.Concurrency = 0, time.Millisecond, 5*time.Second, 4
	if _, err := crawler.Run(context.Background(), cfg, st); err != nil {
		t.Fatal(err)
	}
}

// dump is every row of every copied table, and the exports of records and
// history, of a store.
func dump(t *testing.T, s store.Copyable) map[string]any {
	t.Helper()
	ctx := context.Background()
	out := map[string]any{}
	for _, tb := range store.CopyTables {
		var rows [][]any
		if err := s.ReadTable(ctx, tb, func(row []any) error { rows = append(rows, row); return nil }); err != nil {
			t.Fatal(err)
		}
		out[tb.Name] = rows
	}
	for _, f := range []string{"jsonl", "csv"} {
		var b bytes.Buffer
		if _, err := export.Write(ctx, s, f, &b); err != nil {
			t.Fatal(err)
		}
		out["export."+f] = b.String()
	}
	var b bytes.Buffer
	if _, err := export.WriteHistory(ctx, s, "", "jsonl", &b, export.Options{}); err != nil {
		t.Fatal(err)
	}
	out["history"] = b.String()
	return out
}

// A harvest copied SQLite -> PostgreSQL -> SQLite is the harvest it was:
// every row of every table, and its exports, byte for byte; a copy into a
// database that holds a harvest is refused; the copy in PostgreSQL crawls on.
func TestCopyRoundTrip(t *testing.T) {
	ctx := context.Background()
	arch := fixtures.NewArchive(45, 3)
	srv := fixtures.NewServer(arch)
	srv.Conditional = true
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	lite, err := store.Open(ctx, filepath.Join(dir, "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	harvestInto(t, lite, srv)
	arch.SetTitle(3, "A title changed between harvests")
	arch.Withdraw(7)
	harvestInto(t, lite, srv) // history rows, a gone record, 304s
	want := dump(t, lite)

	pg, err := pgstore.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if _, err := store.Copy(ctx, lite, pg); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, dump(t, pg)); diff != "" {
		t.Errorf("PostgreSQL copy differs (-SQLite +PostgreSQL):\n%s", diff)
	}
	if _, err := store.Copy(ctx, lite, pg); !errors.Is(err, store.ErrNotEmpty) {
		t.Errorf("a second copy into the same database: %v, want ErrNotEmpty", err)
	}

	back, err := store.Open(ctx, filepath.Join(dir, "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if _, err := store.Copy(ctx, pg, back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, dump(t, back)); diff != "" {
		t.Errorf("round trip differs (-before +after):\n%s", diff)
	}

	// The copy goes on as the original: a new walk gets a new id, and the
	// records keep their order.
	arch.Publish(2)
	harvestInto(t, pg, srv)
	harvestInto(t, lite, srv)
	urls := func(s store.Copyable) []string {
		var out []string
		if err := s.Records(ctx, func(r harvest.Record) error { out = append(out, r.URL); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if diff := cmp.Diff(urls(lite), urls(pg)); diff != "" {
		t.Errorf("after one more crawl each, the records differ (-SQLite +PostgreSQL):\n%s", diff)
	}
	wa, _ := lite.LastWalk(ctx, srv.ListingURL(0))
	wb, _ := pg.LastWalk(ctx, srv.ListingURL(0))
	if wa.ID != wb.ID || wa.ID != 3 {
		t.Errorf("after one more crawl each, the last walk is %d in SQLite, %d in PostgreSQL; want 3", wa.ID, wb.ID)
	}
	if n := len(urls(pg)); n != 47 {
		t.Errorf("%d records in PostgreSQL, want 47", n)
	}
}
