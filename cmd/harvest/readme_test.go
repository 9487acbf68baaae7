package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/store"
)

// readmeBlock returns the body of the README's fenced code block of lang
// whose first line is first (or any block of lang when first is "").
func readmeBlock(t *testing.T, lang, first string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?ms)^```" + regexp.QuoteMeta(lang) + "\n(.*?)^```")
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		if first == "" || strings.HasPrefix(m[1], first+"\n") {
			return m[1]
		}
	}
	t.Fatalf("README has no %s block beginning %q", lang, first)
	return ""
}

// scheduled is a stand-in machine for the README's scheduled jobs: a
// fixture server, a root directory that holds the README's paths, harvest
// at /usr/local/bin/harvest (the test binary behind a script), and a mail
// that notes that it was called.
type scheduled struct {
	srv  *fixtures.Server
	root string
	bin  string // where PATH finds mail
}

func newScheduled(t *testing.T) *scheduled {
	t.Helper()
	srv := fixtures.NewServer(fixtures.NewArchive(80, 6))
	srv.Robots = "User-agent: *\nAllow: /\n"
	srv.Conditional = true
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	s := &scheduled{srv: srv, root: t.TempDir()}
	s.bin = filepath.Join(s.root, "bin")
	for _, d := range []string{"bin", "usr/local/bin", "etc/harvest", "srv/harvest"} {
		if err := os.MkdirAll(filepath.Join(s.root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	write := func(path, text string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(s.root, path), []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("usr/local/bin/harvest", fmt.Sprintf("#!/bin/sh\nunset HARVEST_TEST_ARGS\nHARVEST_TEST_MAIN=1 exec %s \"$@\"\n", shellQuote(self)), 0o755)
	write("bin/mail", "#!/bin/sh\necho \"mail $*\" >> \""+filepath.Join(s.root, "mailed")+"\"\ncat >/dev/null\n", 0o755)
	// The README's configuration, its paths under root, its start URL the
	// fixture server's.
	conf := s.paths(readmeBlock(t, "toml", "# /etc/harvest/wilson.toml"))
	conf = regexp.MustCompile(`(?m)^start-url = ".*"$`).ReplaceAllString(conf, fmt.Sprintf("start-url = %q", srv.ListingURL(0)))
	if !strings.Contains(conf, srv.ListingURL(0)) {
		t.Fatal("the README's configuration names no start-url")
	}
	write("etc/harvest/wilson.toml", conf, 0o644)
	return s
}

// paths moves the README's absolute paths under root.
func (s *scheduled) paths(text string) string {
	for _, p := range []string{"/usr/local/bin/", "/etc/harvest/", "/srv/harvest/"} {
		text = strings.ReplaceAll(text, p, filepath.Join(s.root, p)+"/")
	}
	return text
}

// run runs a command line as cron or systemd would: sh, a short PATH, no
// terminal, and env besides (HARVEST_DELAY=0 for a local server: the
// command line stays the README's). It returns the exit code and everything
// printed.
func (s *scheduled) run(t *testing.T, line string, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir = s.root
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HARVEST_") && !strings.HasPrefix(kv, "PATH=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PATH="+s.bin+":/usr/bin:/bin", "HARVEST_DELAY=0s")
	cmd.Env = append(cmd.Env, env...)
	out, _ := cmd.CombinedOutput()
	return cmd.ProcessState.ExitCode(), string(out)
}

func (s *scheduled) records(t *testing.T) int {
	t.Helper()
	db, err := store.OpenReadOnly(context.Background(), filepath.Join(s.root, "srv/harvest/wilson.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, err := db.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The README's crontab line, as it stands, against the fixture server: a
// healthy night prints nothing (cron mails nothing), night after night; a
// night the site is down mails the exit code.
func TestREADMECron(t *testing.T) {
	s := newScheduled(t)
	line := strings.TrimSpace(readmeBlock(t, "crontab", ""))
	fields := strings.Fields(line)
	if len(fields) < 7 || !strings.HasPrefix(fields[5], "/") {
		t.Fatalf("not a crontab line with the binary's path: %q", line)
	}
	command := s.paths(strings.TrimSpace(line[strings.Index(line, fields[5]):])) // after the five time fields
	for night := 1; night <= 2; night++ {
		code, out := s.run(t, command)
		if code != 0 || out != "" {
			t.Fatalf("night %d: exit %d, printed (cron would mail it):\n%s", night, code, out)
		}
	}
	if n := s.records(t); n != 80 {
		t.Errorf("%d records, want 80", n)
	}
	if _, err := os.Stat(filepath.Join(s.root, "mailed")); err == nil {
		t.Error("mail was sent on a healthy night")
	}
	s.srv.Close()
	s.run(t, command, "HARVEST_RETRIES=0")
	mailed, _ := os.ReadFile(filepath.Join(s.root, "mailed"))
	if !strings.Contains(string(mailed), "harvest: exit 1") {
		t.Errorf("the night the site was down, mail got %q", mailed)
	}
}

// The README's systemd service, its ExecStart run as it stands against the
// fixture server; its timer names the schedule and is installed.
func TestREADMESystemd(t *testing.T) {
	s := newScheduled(t)
	service := readmeBlock(t, "ini", "# /etc/systemd/system/harvest-wilson.service")
	timer := readmeBlock(t, "ini", "# /etc/systemd/system/harvest-wilson.timer")
	exec := regexp.MustCompile(`(?m)^ExecStart=(.+)$`).FindStringSubmatch(service)
	if exec == nil || !strings.Contains(service, "Type=oneshot") {
		t.Fatalf("the service has no ExecStart or is not oneshot:\n%s", service)
	}
	for _, want := range []string{"[Timer]", "OnCalendar=", "Persistent=true", "WantedBy=timers.target"} {
		if !strings.Contains(timer, want) {
			t.Errorf("the timer lacks %s", want)
		}
	}
	code, out := s.run(t, s.paths(exec[1]))
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// The journal gets the log: a summary line, no progress drawing.
	if !strings.Contains(out, `msg="crawl finished" outcome=complete`) || strings.ContainsAny(out, "\r\x1b") {
		t.Errorf("the journal would get:\n%q", out)
	}
	if n := s.records(t); n != 80 {
		t.Errorf("%d records, want 80", n)
	}
}
