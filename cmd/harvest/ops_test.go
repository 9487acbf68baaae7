package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harvest-archive/harvest/fixtures"
)

// jsonLines parses every line of s as a JSON object with the stable keys
// time, level and msg; it fails the test on any other line.
func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("line %d is not JSON: %v\n%s", i+1, err, line)
			continue
		}
		for _, k := range []string{"time", "level", "msg"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d lacks %q: %s", i+1, k, line)
			}
		}
		out = append(out, m)
	}
	return out
}

// With --log-format json every line on standard error parses, the progress
// display stays off, and the error that ends the run is a JSON line too,
// with the exit code.
func TestJSONLogs(t *testing.T) {
	srv := fixtures.NewServer(fixtures.NewArchive(40, 4))
	srv.Robots = "User-agent: *\nCrawl-delay: 0\n"
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.Inject("/search?page=1", fixtures.Fault{Status: 503, RetryAfter: "0"})
	srv.Inject("/search?page=2", fixtures.Fault{Status: 404})
	dir := t.TempDir()
	code, _, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", "h.db", "--delay", "0", "--log-format", "json", "--verbose", "--retries", "1")
	if code != 3 {
		t.Fatalf("exit %d, want 3 (partial)\n%s", code, stderr)
	}
	lines := jsonLines(t, stderr)
	byMsg := map[string]map[string]any{}
	for _, l := range lines {
		byMsg[l["msg"].(string)] = l
	}
	fin, ok := byMsg["crawl finished"]
	if !ok || fin["outcome"] != "partial" || fin["pages"] != float64(3) || fin["level"] != "WARN" {
		t.Errorf("crawl finished = %v", fin)
	}
	if f := byMsg["page failed"]; f == nil || !strings.Contains(f["err"].(string), "404") {
		t.Errorf("page failed = %v", f)
	}
	last := lines[len(lines)-1]
	if last["level"] != "ERROR" || last["exit"] != float64(3) || !strings.Contains(last["msg"].(string), "page=2") {
		t.Errorf("the closing line = %v", last)
	}
	if len(lines) < 5 {
		t.Errorf("only %d lines", len(lines))
	}
	// A usage error, too.
	code, _, stderr = run(t, dir, "crawl", "ftp://x", "--log-format", "json")
	if ls := jsonLines(t, stderr); code != 2 || len(ls) != 1 || ls[0]["exit"] != float64(2) {
		t.Errorf("usage error: exit %d\n%s", code, stderr)
	}
	// From the environment, as every flag.
	cmd := harvestCmd(t, dir, "stats", "--db", "missing.db")
	cmd.Env = append(cmd.Env, "HARVEST_LOG_FORMAT=json")
	var errb strings.Builder
	cmd.Stderr = &errb
	cmd.Run()
	if ls := jsonLines(t, errb.String()); len(ls) != 1 || ls[0]["exit"] != float64(1) {
		t.Errorf("HARVEST_LOG_FORMAT=json: %s", errb.String())
	}
	if code, _, stderr := run(t, dir, "stats", "--log-format", "yaml"); code != 2 || !strings.Contains(stderr, "text or json") {
		t.Errorf("--log-format yaml: exit %d\n%s", code, stderr)
	}
}

// A healthy nightly run under --quiet prints nothing at all, the first
// time and after (cron mails whatever a job prints).
func TestQuietRunPrintsNothing(t *testing.T) {
	srv := fixtures.NewServer(fixtures.NewArchive(60, 8))
	srv.Robots = "User-agent: *\nAllow: /\n"
	srv.Conditional = true
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	for night := 1; night <= 2; night++ {
		code, stdout, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", "h.db", "--delay", "0", "--incremental", "--profile", "wilson", "--quiet")
		if code != 0 || stdout != "" || stderr != "" {
			t.Errorf("night %d: exit %d\nstdout: %s\nstderr: %s", night, code, stdout, stderr)
		}
	}
}

// The configuration: flags beat HARVEST_* variables, which beat the file;
// a command's table beats the file's top.
func TestConfigPrecedence(t *testing.T) {
	dir, srv := crawled(t, 12)
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg := write("h.toml", "db = \"h.db\"\nformat = \"csv\"\n\n[export]\nformat = \"json\"\n")
	top := write("top.toml", "db = \"h.db\"\nformat = \"jsonl\"\n")
	// The format export wrote, from its first bytes.
	format := func(out string) string {
		switch {
		case strings.HasPrefix(out, "url,"):
			return "csv"
		case strings.HasPrefix(out, "["):
			return "json"
		case strings.HasPrefix(out, "{"):
			return "jsonl"
		}
		return "?" + out[:min(len(out), 20)]
	}
	for _, tt := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"the file's top", nil, []string{"export", "--config", top}, "jsonl"},
		{"the command's table beats the top", nil, []string{"export", "--config", cfg}, "json"},
		{"HARVEST_CONFIG names the file", []string{"HARVEST_CONFIG=" + cfg}, []string{"export"}, "json"},
		{"the environment beats the file", []string{"HARVEST_FORMAT=jsonl"}, []string{"export", "--config", cfg}, "jsonl"},
		{"a flag beats the environment", []string{"HARVEST_FORMAT=jsonl"}, []string{"export", "--config", cfg, "--format", "csv"}, "csv"},
		{"the environment alone", []string{"HARVEST_DB=h.db", "HARVEST_FORMAT=json"}, []string{"export"}, "json"},
	} {
		cmd := harvestCmd(t, dir, tt.args...)
		cmd.Env = append(cmd.Env, tt.env...)
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := format(string(out)); got != tt.want {
			t.Errorf("%s: wrote %s, want %s", tt.name, got, tt.want)
		}
		if n := strings.Count(string(out), srv.URL+"/document/"); n != 12 {
			t.Errorf("%s: %d records", tt.name, n)
		}
	}
}

// A key that is no flag, a value a flag refuses, a table that is no
// command: usage errors that name them.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		text string
		env  string
		say  []string
	}{
		{"dealy = \"1s\"\n", "", []string{"unknown key dealy"}},
		{"[crawl]\ndelay = \"1s\"\nformat = \"csv\"\n", "", []string{"unknown key crawl.format"}},
		{"[fetch]\ndelay = \"1s\"\n", "", []string{"[fetch] (no such command)"}},
		{"[crawl]\ndelay = 5\n", "", []string{"crawl.delay", "missing unit"}},
		{"max-pages = \"many\"\n", "", []string{"max-pages", "many"}},
		{"delay = [\"1s\", \"2s\"]\n", "", []string{"delay", "one value"}},
		{"[crawl\n", "", []string{"line 2", "end table name"}},
		{"", "HARVEST_CONCURRENCY=lots", []string{"HARVEST_CONCURRENCY"}},
	} {
		p := filepath.Join(dir, "c.toml")
		os.WriteFile(p, []byte(tt.text), 0o644)
		cmd := harvestCmd(t, dir, "crawl", "http://127.0.0.1:1/", "--config", p, "--retries", "0")
		if tt.env != "" {
			cmd.Env = append(cmd.Env, tt.env)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		cmd.Run()
		if code := cmd.ProcessState.ExitCode(); code != 2 {
			t.Errorf("%q %s: exit %d, want 2\n%s", tt.text, tt.env, code, stderr.String())
		}
		for _, s := range tt.say {
			if !strings.Contains(stderr.String(), s) {
				t.Errorf("%q %s: the message lacks %q:\n%s", tt.text, tt.env, s, stderr.String())
			}
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("%q: files left behind", tt.text)
		}
	}
}

// --header goes with every request of a crawl (and its repeatable form from
// the configuration file); fields harvest sets itself are refused.
func TestHeaderFlag(t *testing.T) {
	srv := fixtures.NewServer(fixtures.NewArchive(25, 2))
	srv.Robots = "User-agent: *\nAllow: /\n"
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	if code, _, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", "h.db", "--delay", "0", "--quiet",
		"--header", "X-Api-Key: k1", "--header", "Cookie:session=abc"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	os.WriteFile(filepath.Join(dir, "c.toml"), []byte("[probe]\nheader = [\"X-Api-Key: k2\"]\nignore-robots = true\n"), 0o644)
	if code, _, stderr := run(t, dir, "probe", srv.ListingURL(1), "--config", "c.toml"); code != 0 {
		t.Fatalf("probe: exit %d\n%s", code, stderr)
	}
	log := srv.Log()
	if len(log) < 4 {
		t.Fatalf("%d requests", len(log))
	}
	for i, h := range log {
		want := "k1"
		if i == len(log)-1 {
			want = "k2"
		}
		if h.Headers.Get("X-Api-Key") != want || (want == "k1" && h.Headers.Get("Cookie") != "session=abc") {
			t.Errorf("%s sent with %v", h.URI, h.Headers)
		}
	}
	for _, bad := range []string{"User-Agent: x", "no colon", "Bad Name: x", "Host: a.example", "X: a\x01b"} {
		if code, _, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", "h.db", "--header", bad); code != 2 || !strings.Contains(stderr, "--header") {
			t.Errorf("--header %q: exit %d\n%s", bad, code, stderr)
		}
	}
}
