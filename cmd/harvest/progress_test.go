package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/crawler"
)

// On a terminal (here a buffer that stands for one), the progress line
// shows pages done of those known, records, failures, retries, the request
// rate and the wait; log lines are written whole above it; at the end it is
// taken away.
func TestProgressDisplayOnTerminal(t *testing.T) {
	var buf bytes.Buffer
	d := newProgressDisplay(&buf, 160)
	log := slog.New(slog.NewTextHandler(d, nil))
	d.update(crawler.Progress{Elapsed: 2 * time.Second, Listing: crawler.Tally{Done: 3, Left: 7}, AllKnown: true,
		Records: harvest.Counts{New: 30}, Requests: 5, Retries: 1, Delay: time.Second})
	d.update(crawler.Progress{Elapsed: 4 * time.Second, Listing: crawler.Tally{Done: 4, Failed: 1, Left: 5}, AllKnown: true,
		Documents: crawler.Tally{Done: 2, Left: 8}, Files: crawler.Tally{Done: 1, Bytes: 3 << 20},
		Records: harvest.Counts{New: 40, Updated: 2}, Requests: 10, Retries: 2, Delay: time.Second})
	log.Warn("page failed", "url", "http://x/search?page=4")
	d.finish()
	out := buf.String()
	for _, want := range []string{
		"listing 3/10", "30 new 0 upd 0 same", "1 retries", "2.5 req/s", "wait 1s",
		"listing 5/10", "docs 2/10", "files 1/1 3.0 MiB", "1 failed", "(8/21", // pages of every kind: 5 listing, 2 docs, 1 file of 21
		"\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output lacks %q:\n%q", want, out)
		}
	}
	// The log line stands whole on a line of its own.
	var logLine string
	for _, l := range strings.Split(out, "\n") {
		if i := strings.Index(l, "time="); i >= 0 {
			logLine = l[i:]
		}
	}
	if !strings.Contains(logLine, `level=WARN msg="page failed" url="http://x/search?page=4"`) {
		t.Errorf("log line mangled: %q", logLine)
	}
	// Cleared at the end: the last thing written erases the line.
	if !strings.HasSuffix(out, "\033[2K\r") {
		t.Errorf("the progress line is not cleared at the end: %q", out[max(0, len(out)-40):])
	}
}

// While the listing's page count is unknown (walking by next links), the
// count says it is a lower bound.
func TestProgressDisplayUnknownTotal(t *testing.T) {
	var buf bytes.Buffer
	d := newProgressDisplay(&buf, 160)
	d.update(crawler.Progress{Elapsed: time.Second, Listing: crawler.Tally{Done: 2, Left: 1}, Requests: 3})
	if !strings.Contains(buf.String(), "listing 2/3+") {
		t.Errorf("%q", buf.String())
	}
}

// Progress is off when standard error is no terminal, under --quiet and with
// --log-format json.
func TestWantProgress(t *testing.T) {
	for _, tt := range []struct {
		term   bool
		o      logOptions
		format string
		want   bool
	}{
		{true, logOptions{}, "text", true},
		{true, logOptions{verbose: true}, "text", true},
		{false, logOptions{}, "text", false},
		{true, logOptions{quiet: true}, "text", false},
		{true, logOptions{}, "json", false},
	} {
		if got := wantProgress(tt.term, tt.o, tt.format); got != tt.want {
			t.Errorf("terminal %v, %+v, %s: %v, want %v", tt.term, tt.o, tt.format, got, tt.want)
		}
	}
	var buf bytes.Buffer
	if _, isTerm := terminalWidth(&buf); isTerm {
		t.Error("a buffer taken for a terminal")
	}
}

// Through the program: a crawl whose standard error is not a terminal (a
// pipe here) draws no progress, only log lines; and an export under --quiet
// says nothing.
func TestNoProgressWhenNotTerminal(t *testing.T) {
	dir, srv := crawled(t, 30)
	code, _, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", "again.db", "--delay", "0")
	if code != 0 || strings.ContainsAny(stderr, "\r\x1b") || !strings.Contains(stderr, `msg="crawl finished"`) {
		t.Errorf("exit %d; stderr:\n%q", code, stderr)
	}
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !strings.HasPrefix(l, "time=") {
			t.Errorf("not a log line: %q", l)
		}
	}
	if code, stdout, stderr := run(t, dir, "export", "--db", "h.db", "--out", "x.csv", "--quiet"); code != 0 || stdout+stderr != "" {
		t.Errorf("export --quiet: exit %d, printed %q", code, stdout+stderr)
	}
	if _, _, stderr := run(t, dir, "export", "--db", "h.db", "--out", "x.csv"); !strings.Contains(stderr, `msg="export written" rows=30 file=x.csv`) {
		t.Errorf("export: %q", stderr)
	}
}
