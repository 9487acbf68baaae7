package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/harvest-archive/harvest/crawler"
)

// terminalWidth is the width of w when it is a terminal, and whether it is.
func terminalWidth(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || os.Getenv("TERM") == "dumb" {
		return 0, false
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		width = 80
	}
	return width, true
}

// wantProgress tells whether a crawl shows its progress: only on a terminal,
// and neither under --quiet nor with --log-format json.
func wantProgress(isTerminal bool, o logOptions, logFormat string) bool {
	return isTerminal && !o.quiet && logFormat != "json"
}

// progressDisplay keeps a line of progress at the bottom of a terminal while
// a crawl runs, the log lines written above it. It is an io.Writer for the
// logger, and its update is the crawl's crawler.ProgressFunc.
type progressDisplay struct {
	mu    sync.Mutex
	w     io.Writer
	width int // of the terminal
	bar   *progressbar.ProgressBar
	shown bool
}

// newProgressDisplay draws on w, a terminal width columns wide.
func newProgressDisplay(w io.Writer, width int) *progressDisplay {
	d := &progressDisplay{w: w, width: width}
	d.bar = progressbar.NewOptions64(1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetWidth(10),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true), // time left
		progressbar.OptionUseANSICodes(true),
		progressbar.OptionClearOnFinish(),
	)
	return d
}

// update shows p: a bar of pages done of those known when the listing's
// page count is known, a spinner otherwise.
func (d *progressDisplay) update(p crawler.Progress) {
	d.mu.Lock()
	defer d.mu.Unlock()
	done := p.Listing.Done + p.Listing.Failed + p.Documents.Done + p.Documents.Failed + p.Files.Done + p.Files.Failed
	left := p.Listing.Left + p.Documents.Left + p.Files.Left
	if p.AllKnown {
		d.bar.ChangeMax64(int64(max(done+left, done+1))) // full only when the crawl ends
	} else {
		d.bar.ChangeMax64(-1)
	}
	d.bar.Describe(d.fit(describe(p)))
	d.bar.Set64(int64(done))
	d.shown = true
}

// fit cuts a description to leave the bar and its counts room on one line.
func (d *progressDisplay) fit(s string) string {
	room := d.width - 40 // "  38% |████      | (8/21) [1m2s:3m4s]"
	if room < 20 {
		room = 20
	}
	if r := []rune(s); len(r) > room {
		return string(r[:room-1]) + "…"
	}
	return s
}

// describe says what the crawl has done: pages by kind, records, failures
// and retries, the request rate and the politeness wait.
func describe(p crawler.Progress) string {
	var b strings.Builder
	of := func(t crawler.Tally, all bool) string {
		if all {
			return fmt.Sprintf("%d/%d", t.Done+t.Failed, t.Done+t.Failed+t.Left)
		}
		return fmt.Sprintf("%d/%d+", t.Done+t.Failed, t.Done+t.Failed+t.Left)
	}
	fmt.Fprintf(&b, "listing %s", of(p.Listing, p.AllKnown))
	if t := p.Documents; t != (crawler.Tally{}) {
		fmt.Fprintf(&b, " · docs %s", of(t, true))
	}
	if t := p.Files; t != (crawler.Tally{}) {
		fmt.Fprintf(&b, " · files %s", of(t, true))
		if t.Bytes > 0 {
			fmt.Fprintf(&b, " %s", bytesText(t.Bytes))
		}
	}
	fmt.Fprintf(&b, " · %d new %d upd %d same", p.Records.New, p.Records.Updated, p.Records.Unchanged)
	if failed := p.Listing.Failed + p.Documents.Failed + p.Files.Failed; failed > 0 {
		fmt.Fprintf(&b, " · %d failed", failed)
	}
	if p.Retries > 0 {
		fmt.Fprintf(&b, " · %d retries", p.Retries)
	}
	if s := p.Elapsed.Seconds(); s > 0 {
		fmt.Fprintf(&b, " · %.1f req/s", float64(p.Requests)/s)
	}
	if p.Delay > 0 {
		fmt.Fprintf(&b, " · wait %s", p.Delay.Round(time.Millisecond))
	}
	return b.String()
}

// bytesText is n bytes for a person.
func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// Write writes a log line above the progress line.
func (d *progressDisplay) Write(b []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.shown {
		d.bar.Clear()
	}
	n, err := d.w.Write(b)
	if d.shown {
		d.bar.RenderBlank()
	}
	return n, err
}

// finish takes the progress line away: the summary line follows.
func (d *progressDisplay) finish() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.shown {
		d.bar.Clear()
		d.bar.Exit()
		d.shown = false
	}
}
