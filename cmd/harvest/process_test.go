package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/store"
)

func slowServer(t *testing.T, docs int, latency time.Duration) *fixtures.Server {
	t.Helper()
	srv := fixtures.NewServer(fixtures.NewArchive(docs, 11))
	srv.Robots = "User-agent: *\nAllow: /\n"
	srv.Latency = latency
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// records reads a database's records, keyed by URL, with the times blanked.
func records(t *testing.T, path string) map[string]harvest.Record {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]harvest.Record{}
	err = db.Records(context.Background(), func(r harvest.Record) error {
		if _, dup := out[r.URL]; dup {
			t.Errorf("%s stored twice", r.URL)
		}
		r.FirstSeen, r.LastSeen = time.Time{}, time.Time{}
		out[r.URL] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runs(t *testing.T, path string) []store.Run {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.Runs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// eventually polls cond until it holds, or fails the test after 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("gave up waiting: %s", what)
}

// waitHits waits until the server has answered n listing requests.
func waitHits(t *testing.T, srv *fixtures.Server, n int) {
	t.Helper()
	eventually(t, fmt.Sprintf("the crawl to get to %d pages", n), func() bool {
		c := 0
		for _, h := range srv.Log() {
			if strings.HasPrefix(h.URI, "/search") && h.Status != 0 {
				c++
			}
		}
		return c >= n
	})
}

// waitStored waits until the walk of start in the database has n pages stored.
func waitStored(t *testing.T, path, start string, n int) {
	t.Helper()
	eventually(t, fmt.Sprintf("the crawl to store %d pages", n), func() bool {
		if _, err := os.Stat(path); err != nil {
			return false
		}
		db, err := store.Open(context.Background(), path)
		if err != nil {
			return false
		}
		defer db.Close()
		w, err := db.LastWalk(context.Background(), start)
		if err != nil {
			return false
		}
		pages, _ := db.Frontier(context.Background(), w.ID)
		done := 0
		for _, p := range pages {
			if p.State == "done" {
				done++
			}
		}
		return done >= n
	})
}

// Ctrl-C and SIGTERM stop the crawl cleanly: exit 130 / 143, the run marked
// interrupted, and the next run completes the walk.
func TestSignalsInterruptCleanly(t *testing.T) {
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			srv := slowServer(t, 200, 30*time.Millisecond)
			dir := t.TempDir()
			cmd := harvestCmd(t, dir, "crawl", srv.ListingURL(0), "--db", "h.db", "--delay", "0", "--quiet")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitHits(t, srv, 5)
			cmd.Process.Signal(tt.sig)
			err := cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != tt.code {
				t.Fatalf("exit %d (%v), want %d\n%s", code, err, tt.code, stderr.String())
			}
			rs := runs(t, filepath.Join(dir, "h.db"))
			if len(rs) != 1 || rs[0].Outcome != harvest.OutcomeInterrupted || rs[0].Pages < 3 { // 4 pages asked for; the last may be in flight
				t.Fatalf("runs = %+v; want one interrupted run with its pages", rs)
			}
			if code, _, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", "h.db", "--delay", "0", "--quiet"); code != 0 {
				t.Fatalf("resume: exit %d\n%s", code, stderr)
			}
			if got := len(records(t, filepath.Join(dir, "h.db"))); got != 200 {
				t.Errorf("after resuming, %d records, want 200", got)
			}
		})
	}
}

// A crawl killed with SIGKILL part-way resumes: the records equal those of an
// uninterrupted crawl, and the resumed run fetches no listing page the
// killed one had stored.
func TestKilledCrawlResumes(t *testing.T) {
	srv := slowServer(t, 300, 20*time.Millisecond)
	dir := t.TempDir()
	cmd := harvestCmd(t, dir, "crawl", srv.ListingURL(0), "--db", "killed.db", "--delay", "0", "--quiet")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitStored(t, filepath.Join(dir, "killed.db"), srv.ListingURL(0), 5)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	// What the killed run had stored.
	db, err := store.Open(context.Background(), filepath.Join(dir, "killed.db"))
	if err != nil {
		t.Fatal(err)
	}
	walk, err := db.LastWalk(context.Background(), srv.ListingURL(0))
	if err != nil {
		t.Fatal(err)
	}
	pages, _ := db.Frontier(context.Background(), walk.ID)
	db.Close()
	var done []string
	for _, p := range pages {
		if p.State == "done" {
			done = append(done, strings.TrimPrefix(p.URL, srv.URL))
		}
	}
	if len(done) < 5 {
		t.Fatalf("only %d pages stored before the kill", len(done))
	}
	before := map[string]int{}
	for _, u := range done {
		before[u] = srv.Hits(u)
	}

	if code, _, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", "killed.db", "--delay", "0", "--quiet"); code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, stderr)
	}
	for _, u := range done {
		if srv.Hits(u) != before[u] {
			t.Errorf("resumed run fetched %s again, which the killed run had stored", u)
		}
	}
	if code, _, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", "whole.db", "--delay", "0", "--quiet"); code != 0 {
		t.Fatalf("uninterrupted: exit %d\n%s", code, stderr)
	}
	if diff := cmp.Diff(records(t, filepath.Join(dir, "whole.db")), records(t, filepath.Join(dir, "killed.db"))); diff != "" {
		t.Errorf("killed+resumed vs uninterrupted (-whole +resumed):\n%s", diff)
	}
	// The killed run, left "running", was closed as interrupted by the next.
	rs := runs(t, filepath.Join(dir, "killed.db"))
	if len(rs) != 2 || rs[0].Outcome != harvest.OutcomeInterrupted || !strings.Contains(rs[0].Message, "killed") || rs[1].Outcome != harvest.OutcomeComplete {
		t.Errorf("runs after the kill and the resume = %+v; want interrupted, complete", rs)
	}
}

// A second harvest on a database a crawl holds refuses at once with exit 4.
func TestSecondProcessIsRefused(t *testing.T) {
	srv := slowServer(t, 200, 30*time.Millisecond)
	dir := t.TempDir()
	first := harvestCmd(t, dir, "crawl", srv.ListingURL(0), "--db", "h.db", "--delay", "0", "--quiet")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Process.Kill()
	waitHits(t, srv, 2)
	start := time.Now()
	code, _, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", "h.db", "--delay", "0")
	if code != 4 || !strings.Contains(stderr, "locked") {
		t.Errorf("second process: exit %d, want 4 with a message\n%s", code, stderr)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("the second process took %v to refuse", time.Since(start))
	}
	first.Process.Kill()
	first.Wait()
	// A killed holder leaves no stuck lock.
	if code, _, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", "h.db", "--delay", "0", "--quiet"); code != 0 {
		t.Errorf("after the holder died: exit %d\n%s", code, stderr)
	}
}

// An unreachable host: one clear line, exit 1, and the database unchanged
// (not even created).
func TestUnreachableHost(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run(t, dir, "crawl", "http://127.0.0.1:1/search", "--db", "new.db", "--retries", "0")
	if code != 1 || !strings.Contains(stderr, "unreachable") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
		t.Errorf("exit %d, want 1 with one line saying unreachable:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "new.db")); !os.IsNotExist(err) {
		t.Errorf("a database was created: %v", err)
	}

	// An existing database is left as it was.
	srv := slowServer(t, 20, 0)
	if code, _, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", "old.db", "--delay", "0", "--quiet"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	before := runs(t, filepath.Join(dir, "old.db"))
	srv.Close()
	if code, _, _ := run(t, dir, "crawl", srv.ListingURL(0), "--db", "old.db", "--retries", "0"); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if diff := cmp.Diff(before, runs(t, filepath.Join(dir, "old.db"))); diff != "" {
		t.Errorf("runs changed (-before +after):\n%s", diff)
	}
}

// Partial runs and challenges, through the binary.
func TestPartialAndChallengeExitCodes(t *testing.T) {
	srv := slowServer(t, 50, 0)
	dir := t.TempDir()
	srv.Inject("/search?page=2", fixtures.Fault{Status: 404})
	code, _, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", "p.db", "--delay", "0", "--quiet")
	if code != 3 || !strings.Contains(stderr, "/search?page=2") {
		t.Errorf("partial: exit %d, want 3 naming the page\n%s", code, stderr)
	}
	srv.Inject("/search?page=1", fixtures.Fault{Challenge: true, Status: 403})
	code, _, stderr = run(t, dir, "crawl", srv.ListingURL(0), "--db", "c.db", "--delay", "0", "--quiet")
	if code != 1 || !strings.Contains(stderr, "refusing automated access") {
		t.Errorf("challenge: exit %d, want 1 with a message\n%s", code, stderr)
	}
}
