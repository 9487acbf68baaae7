package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/store/pgstore/pgtest"
)

// --db postgres://... works for every command, and `harvest migrate` copies
// a harvest SQLite -> PostgreSQL -> SQLite into one that exports the same,
// byte for byte (records and history), as does PostgreSQL itself.
func TestMigrateRoundTrip(t *testing.T) {
	pg := pgtest.URL(t)
	arch := fixtures.NewArchive(60, 4)
	srv := fixtures.NewServer(arch)
	srv.Robots = "User-agent: *\nAllow: /\n"
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	crawl := func(db string) {
		t.Helper()
		if code, _, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", db, "--delay", "0", "--quiet"); code != 0 {
			t.Fatalf("crawl into %s: exit %d\n%s", db, code, stderr)
		}
	}
	crawl("a.db")
	arch.SetTitle(5, "Retitled between the two crawls")
	arch.Withdraw(9)
	crawl("a.db")

	exports := func(db string) map[string]string {
		t.Helper()
		out := map[string]string{}
		for _, args := range [][]string{{"export", "--format", "jsonl"}, {"export", "--format", "csv"}, {"export", "--history", "--format", "jsonl"}, {"stats", "--json"}} {
			code, stdout, stderr := run(t, dir, append(args, "--db", db)...)
			if code != 0 {
				t.Fatalf("%s --db %s: exit %d\n%s", strings.Join(args, " "), db, code, stderr)
			}
			out[strings.Join(args, " ")] = stdout
		}
		return out
	}
	want := exports("a.db")
	if code, _, stderr := run(t, dir, "migrate", "--from", "a.db", "--to", pg, "--quiet"); code != 0 {
		t.Fatalf("migrate to PostgreSQL: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := run(t, dir, "migrate", "--from", pg, "--to", "b.db", "--quiet"); code != 0 {
		t.Fatalf("migrate back to SQLite: exit %d\n%s", code, stderr)
	}
	for _, db := range []string{pg, "b.db"} {
		got := exports(db)
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s of %s differs from the original's:\n%s\nwant:\n%s", k, db, got[k], w)
			}
		}
	}
	// HARVEST_DB stands for --db.
	env := harvestCmd(t, dir, "stats", "--json")
	env.Env = append(env.Env, "HARVEST_DB="+pg)
	if out, err := env.Output(); err != nil || string(out) != want["stats --json"] {
		t.Errorf("stats with HARVEST_DB=%s: %v\n%s", pg, err, out)
	}
	// Into a database that holds a harvest: refused, nothing changed.
	code, _, stderr := run(t, dir, "migrate", "--from", "a.db", "--to", pg, "--quiet")
	if code == 0 || !strings.Contains(stderr, "holds a harvest already") {
		t.Errorf("migrate into a used database: exit %d\n%s", code, stderr)
	}
	// The copy crawls on in PostgreSQL, resuming nothing and adding what is new.
	arch.Publish(3)
	crawl(pg)
	code, stdout, _ := run(t, dir, "stats", "--db", pg)
	if code != 0 || !strings.Contains(stdout, "Records: 63 (62 listed, 1 gone)") {
		t.Errorf("stats after crawling on in PostgreSQL: exit %d\n%s", code, stdout)
	}
}

// The fleet: three `harvest crawl` processes on one PostgreSQL database and
// one fixture archive, the host limited to 2 requests in flight and 200 ms
// between starts; one is killed (SIGKILL) while it holds pages. Every record
// is stored once, no page is fetched twice while a lease holds it, the
// server never sees the limits broken, and the others finish the killed
// worker's pages and the walk.
func TestFleetOfProcesses(t *testing.T) {
	pg := pgtest.URL(t)
	const docs, delay, lease = 250, 200 * time.Millisecond, 3 * time.Second
	srv := fixtures.NewServer(fixtures.NewArchive(docs, 21))
	srv.Robots = "User-agent: *\nAllow: /\n"
	// Leeway for the time between a grant and the server's clock, which a
	// loaded machine (and the race detector) stretches for one process and
	// not another.
	srv.MinGap = delay / 2
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	args := []string{"crawl", srv.ListingURL(0), "--db", pg, "--delay", delay.String(), "--concurrency", "2",
		"--lease", lease.String(), "--timeout", "5s", "--quiet"}

	cmds := make([]*exec.Cmd, 3)
	stderrs := make([]strings.Builder, 3)
	for i := range cmds {
		cmds[i] = harvestCmd(t, dir, args...)
		cmds[i].Stderr = &stderrs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	codes := make([]int, 3)
	for i := 1; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmds[i].Wait()
			codes[i] = cmds[i].ProcessState.ExitCode()
		}()
	}

	// Kill worker 0 once it holds a page of the walk, past the first few.
	conn, err := pgx.Connect(context.Background(), pg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	victim := fmt.Sprintf("%%/%d/%%", cmds[0].Process.Pid)
	// leasedBy maps the pages worker 0 holds to when its leases run out.
	leasedBy := func() map[string]time.Time {
		urls := map[string]time.Time{}
		rows, err := conn.Query(context.Background(), `SELECT url, lease_until FROM frontier
			WHERE state = 'pending' AND lease_owner LIKE $1 AND lease_until > clock_timestamp()`, victim)
		if err != nil {
			return nil
		}
		for rows.Next() {
			var u string
			var until time.Time
			if rows.Scan(&u, &until) == nil {
				urls[u] = until
			}
		}
		rows.Close()
		return urls
	}
	eventually(t, "worker 0 to hold a page past the first five", func() bool {
		return srv.Requests() > 8 && len(leasedBy()) > 0
	})
	if err := cmds[0].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmds[0].Wait()
	killedAt := time.Now()
	orphans := leasedBy()
	if len(orphans) == 0 {
		t.Log("worker 0 held no page when killed (it stored them all first)")
	}
	wg.Wait()
	for i := 1; i < 3; i++ {
		if codes[i] != 0 {
			t.Errorf("worker %d: exit %d\n%s", i, codes[i], stderrs[i].String())
		}
	}

	// Every record once, the walk finished.
	code, stdout, stderr := run(t, dir, "stats", "--db", pg, "--json")
	if code != 0 {
		t.Fatalf("stats: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, fmt.Sprintf(`"records": %d,`, docs)) || !strings.Contains(stdout, fmt.Sprintf(`"seen": %d,`, docs)) {
		t.Errorf("stats: want %d records, all seen by the finished walk:\n%s", docs, stdout)
	}
	code, stdout, _ = run(t, dir, "export", "--db", pg, "--format", "jsonl")
	if n := strings.Count(stdout, "\n"); code != 0 || n != docs {
		t.Errorf("export: exit %d, %d records, want %d", code, n, docs)
	}

	// No page fetched twice while a lease held it: only the killed worker's
	// pages are fetched again, once their leases ran out.
	fetched := map[string]bool{}
	for _, h := range srv.Log() {
		if !strings.HasPrefix(h.URI, "/search") {
			continue
		}
		if fetched[h.URI] {
			until, orphan := orphans[srv.URL+h.URI]
			switch {
			case !orphan:
				t.Errorf("%s fetched twice, and not a page of the killed worker", h.URI)
			case h.Start.Before(until.Add(-50 * time.Millisecond)):
				t.Errorf("%s fetched again %s before the killed worker's lease ran out", h.URI, until.Sub(h.Start))
			}
		}
		fetched[h.URI] = true
	}
	for u := range orphans {
		uri := strings.TrimPrefix(u, srv.URL)
		taken := false
		for _, h := range srv.Log() {
			if h.URI == uri && h.Start.After(killedAt) {
				taken = true
			}
		}
		if !taken {
			t.Errorf("%s, leased by the killed worker, was not fetched by another", uri)
		}
	}
	if m := srv.MaxInFlight(); m > 2 {
		t.Errorf("%d requests in flight at once; the fleet's limit is 2", m)
	}
	if v := srv.Violations(); v > 0 {
		t.Errorf("%d requests started less than %s after the one before", v, srv.MinGap)
		log := srv.Log()
		for i := 1; i < len(log); i++ {
			if gap := log[i].Start.Sub(log[i-1].Start); gap < srv.MinGap {
				t.Logf("%s then %s: %s apart", log[i-1].URI, log[i].URI, gap)
			}
		}
	}
	t.Logf("%d requests; worker 0 killed holding %d pages", srv.Requests(), len(orphans))
}
