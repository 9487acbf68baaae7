package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harvest-archive/harvest/fixtures"
)

// TestMain lets the test binary run as the real program: the CLI tests below
// run it again with HARVEST_TEST_MAIN=1 and the command line to test.
func TestMain(m *testing.M) {
	if os.Getenv("HARVEST_TEST_MAIN") == "1" {
		// The command line comes in HARVEST_TEST_ARGS (a JSON array), or,
		// without it, as the binary's own arguments (a shell runs it as
		// `harvest`: see harvestOnPath).
		args := os.Args[1:]
		if a, ok := os.LookupEnv("HARVEST_TEST_ARGS"); ok {
			args = nil
			if err := json.Unmarshal([]byte(a), &args); err != nil {
				panic(err)
			}
		}
		os.Args = append([]string{"harvest"}, args...)
		main()
		return
	}
	os.Exit(m.Run())
}

// harvestCmd is the program with args, not yet started.
func harvestCmd(t testing.TB, dir string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HARVEST_TEST_MAIN=1", "HARVEST_TEST_ARGS="+testArgs(args))
	return cmd
}

// testArgs encodes a command line for HARVEST_TEST_ARGS.
func testArgs(args []string) string {
	if args == nil {
		args = []string{}
	}
	b, _ := json.Marshal(args)
	return string(b)
}

// run runs the program and returns its exit code, stdout and stderr.
func run(t testing.TB, dir string, args ...string) (int, string, string) {
	t.Helper()
	cmd := harvestCmd(t, dir, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), out.String(), errb.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

// `harvest demo` writes a database and a CSV whose rows are the fixture
// archive's documents, one for one.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := run(t, dir, "demo", "--dir", "out", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "demo.db")); err != nil {
		t.Error(err)
	}
	f, err := os.Open(filepath.Join(dir, "out", "demo.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	docs := fixtures.NewArchive(demoDocs, demoSeed).Docs()
	if len(rows) != len(docs)+1 {
		t.Fatalf("%d CSV rows, want header + %d", len(rows), len(docs))
	}
	// One row per document (pages are fetched concurrently, so rows come in
	// the order pages arrived, not the listing's).
	col := map[string]int{} // columns by name: the export adds columns
	for i, name := range rows[0] {
		col[name] = i
	}
	byPath := map[string][]string{}
	for _, row := range rows[1:] {
		u, err := url.Parse(row[col["url"]])
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := byPath[u.Path]; dup {
			t.Errorf("%s twice in the CSV", u.Path)
		}
		byPath[u.Path] = row
	}
	for _, d := range docs {
		row, ok := byPath[d.Path()]
		if !ok {
			t.Errorf("%s missing from the CSV", d.Path())
			continue
		}
		if row[col["title"]] != d.Title || row[col["date"]] != d.Date || row[col["date_text"]] != d.DateText || row[col["summary"]] != d.Summary {
			t.Errorf("row = %q, want %q %q %q %q", row, d.Title, d.Date, d.DateText, d.Summary)
		}
	}
	if !strings.Contains(stdout, "286 records stored") {
		t.Errorf("demo output does not say what it did:\n%s", stdout)
	}
	// The serve line runs harvest as the "Next:" line does (after `go run`
	// there is no harvest on PATH), with the same quoting.
	_, next, _ := strings.Cut(stdout, "\nNext: ")
	self, _, _ := strings.Cut(next, " export ")
	if self == "" || !strings.Contains(stdout, "Browse it: "+self+" serve --db "+shellQuote(filepath.Join("out", "demo.db"))+" ") {
		t.Errorf("demo output does not say how to browse the harvest with %q:\n%s", self, stdout)
	}
}

func TestExitCodes(t *testing.T) {
	srv := fixtures.NewServer(fixtures.NewArchive(60, 3))
	srv.Robots = "User-agent: *\nAllow: /\n"
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	fast := []string{"--delay", "0", "--quiet"}
	tests := []struct {
		name     string
		args     []string
		setup    func(t *testing.T, dir string)
		code     int
		stderrRe string
	}{
		{name: "complete", args: append([]string{"crawl", srv.ListingURL(0), "--db", "h.db"}, fast...), code: 0},
		{name: "help", args: []string{"crawl", "--help"}, code: 0},
		{name: "no command", args: nil, code: 2, stderrRe: "no command"},
		{name: "unknown command", args: []string{"fetch"}, code: 2, stderrRe: "unknown command"},
		{name: "bad flag", args: []string{"crawl", "--concurrency", "0"}, code: 2, stderrRe: "concurrency"},
		{name: "bad format", args: []string{"export", "--format", "xml"}, code: 2, stderrRe: "format"},
		{name: "unknown profile", args: []string{"crawl", "--profile", "nope"}, code: 2, stderrRe: "no profile"},
		{name: "export without database", args: []string{"export", "--db", "missing.db"}, code: 1, stderrRe: "missing.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			code, _, stderr := run(t, dir, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, stderr)
			}
			if tt.stderrRe != "" && !strings.Contains(stderr, tt.stderrRe) {
				t.Errorf("stderr does not say %q:\n%s", tt.stderrRe, stderr)
			}
		})
	}
}

// crawl then export, through the binary: the export has every record.
func TestCrawlThenExport(t *testing.T) {
	srv := fixtures.NewServer(fixtures.NewArchive(45, 5))
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	if code, _, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", "h.db", "--delay", "0"); code != 0 {
		t.Fatalf("crawl exit %d\n%s", code, stderr)
	}
	for _, format := range []string{"csv", "json", "jsonl"} {
		code, stdout, stderr := run(t, dir, "export", "--db", "h.db", "--format", format)
		if code != 0 {
			t.Fatalf("export %s exit %d\n%s", format, code, stderr)
		}
		if n := strings.Count(stdout, srv.URL+"/document/"); n != 45 {
			t.Errorf("%s export names %d documents, want 45", format, n)
		}
	}
	code, _, _ := run(t, dir, "export", "--db", "h.db", "--out", "all.jsonl")
	b, err := os.ReadFile(filepath.Join(dir, "all.jsonl"))
	if code != 0 || err != nil || bytes.Count(b, []byte("\n")) != 45 {
		t.Errorf("export --out all.jsonl: exit %d, %v, %d lines", code, err, bytes.Count(b, []byte("\n")))
	}
}
