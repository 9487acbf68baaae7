package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/store"
)

// serveDB writes a small harvest database in dir and returns its name.
func serveDB(t *testing.T, dir string) string {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w, err := db.NewWalk(ctx, "http://x/search", harvest.WalkFull, "http://x/search")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SavePage(ctx, harvest.PageResult{WalkID: w.ID, URL: "http://x/search", Records: []harvest.Record{
		{URL: "http://x/document/1", Title: "Telegram <script>alert(1)</script>", Date: "1956", ListingURL: "http://x/search"}}}); err != nil {
		t.Fatal(err)
	}
	return "h.db"
}

// `harvest serve` serves the database read-only until interrupted, and
// exits 0; beyond loopback it warns.
func TestServeCommand(t *testing.T) {
	for _, tc := range []struct {
		name, addr string
		warn       bool
	}{
		{"loopback", "127.0.0.1:0", false},
		{"every interface", "0.0.0.0:0", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db := serveDB(t, dir)
			cmd := harvestCmd(t, dir, "serve", "--db", db, "--addr", tc.addr)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil {
				t.Fatalf("no address printed: %v; stderr: %s", err, stderr.String())
			}
			i := strings.Index(line, "http://")
			if i < 0 {
				t.Fatalf("no URL in %q", line)
			}
			u := strings.Fields(line[i:])[0]
			u = strings.Replace(u, "0.0.0.0", "127.0.0.1", 1)
			res, err := http.Get(u + "search?q=telegram")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || res.Header.Get("Content-Security-Policy") == "" ||
				!strings.Contains(string(body), "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Errorf("search: %d, CSP %q\n%.500s", res.StatusCode, res.Header.Get("Content-Security-Policy"), body)
			}
			cmd.Process.Signal(syscall.SIGINT)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("after Ctrl-C: %v; stderr: %s", err, stderr.String())
				}
			case <-time.After(20 * time.Second):
				t.Fatal("serve did not stop on SIGINT")
			}
			if got := strings.Contains(stderr.String(), "serving beyond this machine"); got != tc.warn {
				t.Errorf("warning %v, want %v: %s", got, tc.warn, stderr.String())
			}
		})
	}
}

func TestServeCommandRefuses(t *testing.T) {
	dir := t.TempDir()
	db := serveDB(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "afile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve", "--db", "missing.db"}, exitError, "missing.db"},
		{[]string{"serve", "--db", db, "--files", "nowhere"}, exitUsage, "--files nowhere is not a directory"},
		{[]string{"serve", "--db", db, "--warc", "afile"}, exitUsage, "--warc afile is not a directory"},
		{[]string{"serve", "--db", db, "extra"}, exitUsage, "takes no arguments"},
	} {
		code, _, stderr := run(t, dir, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want %d, %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}
