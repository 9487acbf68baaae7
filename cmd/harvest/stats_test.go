package main

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/store"
)

// stats, history and export --history after a crawl, an edit, a withdrawal
// and a second crawl.
func TestStatsAndHistory(t *testing.T) {
	srv := fixtures.NewServer(fixtures.NewArchive(60, 21))
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	crawl := func() {
		t.Helper()
		if code, _, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", "h.db", "--delay", "0", "--quiet"); code != 0 {
			t.Fatalf("crawl: exit %d\n%s", code, stderr)
		}
	}
	crawl()
	docs := srv.Archive.Docs()
	srv.Archive.SetTitle(5, "A new title, with a comma")
	srv.Archive.Withdraw(10)
	crawl()

	code, stdout, stderr := run(t, dir, "stats", "--db", "h.db", "--json")
	if code != 0 {
		t.Fatalf("stats --json: exit %d\n%s", code, stderr)
	}
	var s store.Stats
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	years := 0
	for _, y := range s.Years {
		years += y.Count
	}
	if s.Records != 60 || s.Gone != 1 || len(s.Runs) != 2 || len(s.Listings) != 1 || s.Listings[0].Seen != 59 || s.Listings[0].Total != 59 || years+s.Undated != 60 {
		t.Errorf("stats = %+v", s)
	}
	if s.Runs[0].Records != 60 || s.Runs[1].Records != 59 {
		t.Errorf("runs[].records = %d, %d; want 60, then 59 (one withdrawn)", s.Runs[0].Records, s.Runs[1].Records)
	}
	if r := s.Runs[1]; r.Updated != 1 || r.Gone != 1 || r.Outcome != "complete" || r.Pages != 6 {
		t.Errorf("second run = %+v; want 6 pages, 1 changed, 1 gone", r)
	}

	code, stdout, _ = run(t, dir, "stats", "--db", "h.db")
	for _, want := range []string{"Records: 60 (59 listed, 1 gone)", "Complete: 59 of 59", "Runs: 2", "Documents per year", "#"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("stats text lacks %q:\n%s", want, stdout)
		}
	}

	code, stdout, _ = run(t, dir, "history", srv.URL+docs[5].Path(), "--db", "h.db")
	if code != 0 || !strings.Contains(stdout, "old: "+docs[5].Title) || !strings.Contains(stdout, "new: A new title, with a comma") {
		t.Errorf("history:\n%s", stdout)
	}
	code, stdout, _ = run(t, dir, "history", srv.URL+docs[10].Path(), "--db", "h.db")
	if code != 0 || !strings.Contains(stdout, "gone from the listing") {
		t.Errorf("history of the withdrawn document:\n%s", stdout)
	}

	code, stdout, _ = run(t, dir, "export", "--db", "h.db", "--history", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if code != 0 || err != nil || len(rows) != 3 || rows[0][2] != "field" {
		t.Fatalf("export --history: exit %d, %v, rows %q", code, err, rows)
	}
	if rows[1][2] != "title" || rows[1][3] != docs[5].Title || rows[1][4] != "A new title, with a comma" || rows[2][2] != "gone" {
		t.Errorf("history rows = %q", rows[1:])
	}
}
