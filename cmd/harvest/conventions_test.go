package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/store"
)

// crawled is a directory holding h.db, crawled from a fixture archive of n
// documents; it returns the directory and the server.
func crawled(t *testing.T, n int) (string, *fixtures.Server) {
	t.Helper()
	srv := fixtures.NewServer(fixtures.NewArchive(n, 9))
	srv.Robots = "User-agent: *\nAllow: /\n"
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	if code, _, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", "h.db", "--delay", "0", "--quiet"); code != 0 {
		t.Fatalf("crawl: exit %d\n%s", code, stderr)
	}
	return dir, srv
}

// `export --out -` writes to standard output, not to a file named "-".
func TestExportOutDashIsStdout(t *testing.T) {
	dir, srv := crawled(t, 15)
	code, stdout, stderr := run(t, dir, "export", "--db", "h.db", "--out", "-", "--format", "jsonl")
	if code != 0 || strings.Count(stdout, srv.URL+"/document/") != 15 {
		t.Errorf("exit %d, %d records on stdout\n%s", code, strings.Count(stdout, srv.URL+"/document/"), stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "-")); !os.IsNotExist(err) {
		t.Errorf("a file named - was written (%v)", err)
	}
}

// An --out whose extension names no format, without --format, is a usage
// error that writes nothing; with --format, or without an extension, it is
// written.
func TestExportUnknownExtension(t *testing.T) {
	dir, _ := crawled(t, 15)
	for _, tt := range []struct {
		args []string
		file string
		code int
		head string // how the file begins
	}{
		{[]string{"--out", "x.txt"}, "x.txt", 2, ""},
		{[]string{"--out", "x.csv.gz"}, "x.csv.gz", 2, ""},
		{[]string{"--out", "x.txt", "--format", "jsonl"}, "x.txt", 0, "{"},
		{[]string{"--out", "x.xml"}, "x.xml", 0, "<?xml"}, // Dublin Core
		{[]string{"--out", "x.RIS"}, "x.RIS", 0, "TY  - "},
		{[]string{"--out", "plain"}, "plain", 0, "url,"},
		{[]string{"--out", "x.JSON"}, "x.JSON", 0, "["},
	} {
		code, _, stderr := run(t, dir, append([]string{"export", "--db", "h.db"}, tt.args...)...)
		if code != tt.code {
			t.Errorf("%v: exit %d, want %d\n%s", tt.args, code, tt.code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(dir, tt.file))
		switch {
		case tt.code != 0 && err == nil:
			t.Errorf("%v: %s written", tt.args, tt.file)
		case tt.code != 0 && !strings.Contains(stderr, "--format"):
			t.Errorf("%v: the message does not point to --format:\n%s", tt.args, stderr)
		case tt.code == 0 && !bytes.HasPrefix(b, []byte(tt.head)):
			t.Errorf("%v: %s begins %.20q, want %q", tt.args, tt.file, b, tt.head)
		}
		os.Remove(filepath.Join(dir, tt.file))
	}
}

// writeFile syncs the temporary file, whole, before it renames it into
// place.
func TestWriteFileSyncsBeforeRename(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.csv")
	var synced []string
	syncFile = func(f *os.File) error {
		b, _ := os.ReadFile(f.Name())
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Error("the file was in place before it was synced")
		}
		synced = append(synced, string(b))
		return f.Sync()
	}
	defer func() { syncFile = (*os.File).Sync }()
	if _, err := writeFile(out, nil, func(w io.Writer) (int, error) {
		return w.Write([]byte("a,b\n"))
	}); err != nil {
		t.Fatal(err)
	}
	if len(synced) != 1 || synced[0] != "a,b\n" {
		t.Errorf("synced %q, want the whole file once", synced)
	}
	if b, _ := os.ReadFile(out); string(b) != "a,b\n" {
		t.Errorf("file holds %q", b)
	}
}

// The temporary file of an export that was killed is removed by the next
// export to the same name; one that a running export holds is not.
func TestExportRemovesStaleTemporaryFiles(t *testing.T) {
	dir, _ := crawled(t, 15)
	stale := filepath.Join(dir, ".x.csv.harvest-0123456789ab.tmp")
	busy := filepath.Join(dir, ".x.csv.harvest-ba9876543210.tmp")
	other := filepath.Join(dir, ".y.csv.harvest-0123456789ab.tmp")
	for _, p := range []string{stale, busy, other} {
		if err := os.WriteFile(p, []byte("half a"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(busy)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, dir, "export", "--db", "h.db", "--out", "x.csv"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for p, want := range map[string]bool{stale: false, busy: true, other: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}

// A usage error leaves nothing behind: no database, no lock file; and a
// file:// URL is told it is not http(s), not that it "is not absolute".
func TestCrawlUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		say  string
	}{
		{[]string{"ftp://x/search"}, "http:// and https://"},
		{[]string{"not a url"}, "not a URL"},
		{[]string{"file:///etc/passwd"}, "http:// and https://"},
		{[]string{"http:///search"}, "no host"},
		{[]string{"http://127.0.0.1:1/", "--concurrency", "1000000"}, "--concurrency must be between 1 and 64"},
		{[]string{"http://127.0.0.1:1/", "--concurrency", "0"}, "--concurrency"},
		{[]string{"http://127.0.0.1:1/", "--user-agent", ""}, "--user-agent cannot be empty"},
		{[]string{"http://127.0.0.1:1/", "--user-agent", "  "}, "--user-agent cannot be empty"},
	} {
		dir := t.TempDir()
		code, _, stderr := run(t, dir, append([]string{"crawl", "--db", "h.db"}, tt.args...)...)
		if code != 2 || !strings.Contains(stderr, tt.say) || strings.Contains(stderr, "absolute") {
			t.Errorf("%q: exit %d, want 2 saying %q\n%s", tt.args, code, tt.say, stderr)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%q left %d files behind (%s...)", tt.args, len(ents), ents[0].Name())
		}
	}
	// probe, too, wants a User-Agent.
	if code, _, stderr := run(t, t.TempDir(), "probe", "http://127.0.0.1:1/", "--user-agent", ""); code != 2 {
		t.Errorf("probe --user-agent '': exit %d\n%s", code, stderr)
	}
}

// A database that is locked or cannot be opened gets its error alone, not a
// "crawl finished" line first.
func TestCrawlNoFalseSummary(t *testing.T) {
	dir := t.TempDir()
	held, err := store.Open(context.Background(), filepath.Join(dir, "locked.db"), store.WithLock())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := os.Mkdir(filepath.Join(dir, "adir.db"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "junk.db"), bytes.Repeat([]byte("not a database "), 512), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		db   string
		code int
	}{{"locked.db", 4}, {"adir.db", 1}, {"junk.db", 1}} {
		code, _, stderr := run(t, dir, "crawl", "http://127.0.0.1:1/search", "--db", tt.db, "--retries", "0")
		if code != tt.code || strings.Contains(stderr, "crawl finished") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("--db %s: exit %d (want %d), want one line of error:\n%s", tt.db, code, tt.code, stderr)
		}
	}
}

// history of a URL the database never saw says so, exit 1.
func TestHistoryUnknownURL(t *testing.T) {
	dir, srv := crawled(t, 15)
	for _, args := range [][]string{{}, {"--format", "csv"}} {
		code, stdout, stderr := run(t, dir, append([]string{"history", "--db", "h.db", srv.URL + "/document/999999"}, args...)...)
		if code != 1 || !strings.Contains(stderr, "unknown") || stdout != "" {
			t.Errorf("history %v of an unknown URL: exit %d\nstdout: %s\nstderr: %s", args, code, stdout, stderr)
		}
	}
	known := srv.URL + srv.Archive.Docs()[2].Path()
	if code, stdout, _ := run(t, dir, "history", "--db", "h.db", known); code != 0 || !strings.Contains(stdout, "no changes recorded") {
		t.Errorf("history of a known, unchanged record: exit %d\n%s", code, stdout)
	}
}

// export, stats and history never migrate a database: an older schema is
// read as it is, and the file is not written.
func TestReadersNeverMigrate(t *testing.T) {
	dir, srv := crawled(t, 15)
	db := filepath.Join(dir, "h.db")
	// Make the database say it is older (version 6) than this harvest.
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	execSQL(t, db, `DELETE FROM schema_migrations WHERE version > 6`)
	before, _ := os.ReadFile(db)
	for _, args := range [][]string{
		{"export", "--db", "h.db", "--format", "jsonl"},
		{"stats", "--db", "h.db", "--json"},
		{"history", "--db", "h.db", srv.URL + srv.Archive.Docs()[0].Path()},
	} {
		if code, _, stderr := run(t, dir, args...); code != 0 {
			t.Errorf("%s on a version 6 database: exit %d\n%s", args[0], code, stderr)
		}
	}
	after, _ := os.ReadFile(db)
	if !bytes.Equal(before, after) {
		t.Error("the database file changed")
	}
	if _, err := os.Stat(db + "-wal"); err == nil {
		if b, _ := os.ReadFile(db + "-wal"); len(b) > 0 {
			t.Error("the readers wrote a write-ahead log")
		}
	}
}

// execSQL runs a statement on a database with no harvest in between.
func execSQL(t *testing.T, path, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}

// stats --json gives each run's records.
func TestStatsJSONRunRecords(t *testing.T) {
	dir, _ := crawled(t, 23)
	code, stdout, _ := run(t, dir, "stats", "--db", "h.db", "--json")
	var s struct {
		Runs []struct {
			Records int `json:"records"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &s); code != 0 || err != nil || len(s.Runs) != 1 || s.Runs[0].Records != 23 {
		t.Errorf("exit %d, %v, runs %+v; want one run of 23 records", code, err, s.Runs)
	}
}

// demo ends with a command that works as printed, though no harvest is on
// PATH (here: the test binary, as after `go run` nothing is).
func TestDemoNextCommandWorks(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := run(t, dir, "demo", "--dir", "out", "--quiet", "--warc", "off")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s", code, stderr)
	}
	_, next, ok := strings.Cut(stdout, "Next: ")
	if !ok {
		t.Fatalf("no Next: line:\n%s", stdout)
	}
	next, _, _ = strings.Cut(next, "\n")
	sh := exec.Command("sh", "-c", next)
	sh.Dir = dir
	sh.Env = append(withoutEnv("HARVEST_TEST_ARGS"), "HARVEST_TEST_MAIN=1", "PATH=/usr/bin:/bin")
	out, err := sh.CombinedOutput()
	if err != nil || bytes.Count(out, []byte("\n")) != 10 || !bytes.HasPrefix(out, []byte(`{"url":`)) {
		t.Errorf("%s: %v\n%s", next, err, out)
	}
}

// withoutEnv is the environment without the named variable.
func withoutEnv(name string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// How to run harvest again: by its name when PATH finds it, by `go run`
// after `go run`, else by its path.
func TestInvocation(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin", "harvest")
	gorun := filepath.Join(dir, "go-build123", "b001", "exe", "harvest")
	module := filepath.Join(dir, "src")
	for _, p := range []string{bin, gorun, filepath.Join(module, "cmd", "harvest", "main.go")} {
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o755)
	}
	found := func(string) (string, error) { return bin, nil }
	missing := func(string) (string, error) { return "", exec.ErrNotFound }
	for _, tt := range []struct {
		name, arg0, exe, wd string
		look                func(string) (string, error)
		want                string
	}{
		{"on PATH", "harvest", bin, dir, found, "harvest"},
		{"go run in the module", gorun, gorun, module, missing, "go run ./cmd/harvest"},
		{"go run elsewhere", gorun, gorun, dir, missing, "go run github.com/harvest-archive/harvest/cmd/harvest"},
		{"a path", "./bin/harvest", bin, dir, missing, "./bin/harvest"},
		{"a relative path", "bin/harvest", bin, dir, missing, "./bin/harvest"},
		{"another harvest on PATH", bin, bin, dir, func(string) (string, error) { return gorun, nil }, bin},
	} {
		if tt.arg0 == "./bin/harvest" || tt.arg0 == "bin/harvest" {
			t.Chdir(dir)
		}
		if got := invocationOf(tt.arg0, tt.exe, tt.wd, tt.look); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := shellQuote("a dir/it's.db"); got != `'a dir/it'\''s.db'` {
		t.Errorf("shellQuote = %s", got)
	}
}
