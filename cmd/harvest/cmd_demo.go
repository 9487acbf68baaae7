package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/harvest-archive/harvest/crawler"
	"github.com/harvest-archive/harvest/export"
	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/serve"
	"github.com/harvest-archive/harvest/store"
	"github.com/harvest-archive/harvest/warc"
)

// Demo archive: the size of the saved Wilson Center result set.
const (
	demoDocs = 286
	demoSeed = 1
)

// demoOptions are the flags of `harvest demo`.
type demoOptions struct {
	dir  string
	warc string
	log  logOptions
}

func (m *Main) newDemoCmd() *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "crawl the bundled fixture archive offline, and export it",
		Long:  "Serves the bundled fixture archive on 127.0.0.1 (no network needed), crawls it\ninto DIR/demo.db and exports DIR/demo.csv.",
		Args:  positional(0, 0, "takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return m.demo(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", "harvest-demo", "write demo.db and demo.csv in this `directory`")
	f.StringVar(&o.warc, "warc", "", "write the crawl's WARC captures in this `directory` (default DIR/warc; \"off\" for none)")
	o.log.addFlags(f)
	return cmd
}

func (m *Main) demo(ctx context.Context, o demoOptions) error {
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	dbPath, csvPath := filepath.Join(o.dir, "demo.db"), filepath.Join(o.dir, "demo.csv")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(dbPath + suffix); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("demo: %w", err)
		}
	}

	archive := fixtures.NewArchive(demoDocs, demoSeed)
	srv := fixtures.NewServer(archive)
	srv.Robots = "User-agent: *\nDisallow: /admin/\n"
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(m.Stdout, "Serving a fixture archive of %d documents at %s\n", archive.Len(), srv.URL)

	cfg := crawler.DefaultConfig(srv.ListingURL(0))
	cfg.Delay = 10 * time.Millisecond // a local server; a real site gets the 1 s default
	cfg.Logger = m.logger(o.log, m.Stderr)
	started := time.Now()
	capture := warcOptions{dir: o.warc, maxSize: warc.DefaultMaxSize, prefix: warc.DefaultPrefix}
	switch capture.dir {
	case "":
		capture.dir = filepath.Join(o.dir, "warc")
	case "off":
		capture.dir = ""
	}
	sum, err := runCrawl(ctx, dbPath, cfg, capture)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Crawled %d listing pages (%d requests) in %s: %d records stored, the listing reports %d\n",
		sum.Pages, sum.Requests, time.Since(started).Round(time.Millisecond), sum.Records, sum.TotalReported)

	st, err := store.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := writeFile(csvPath, nil, func(w io.Writer) (int, error) { return export.Write(ctx, st, "csv", w) })
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Database: %s\nCSV:      %s (%d records)\n", dbPath, csvPath, n)
	if capture.dir != "" {
		fmt.Fprintf(m.Stdout, "WARC:     %s (every request and response, with a CDXJ index beside each file)\n", capture.dir)
	}
	self := invocation()
	fmt.Fprintf(m.Stdout, "\nNext: %s export --db %s --format jsonl | head\n", self, shellQuote(dbPath))
	if capture.dir != "" {
		fmt.Fprintf(m.Stdout, "      %s reparse --warc %s --db %s   # re-parse the captures, nothing fetched\n", self, shellQuote(capture.dir), shellQuote(dbPath))
	}
	browse := self + " serve --db " + shellQuote(dbPath)
	if capture.dir != "" {
		browse += " --warc " + shellQuote(capture.dir)
	}
	fmt.Fprintf(m.Stdout, "Browse it: %s   (then open http://%s/ in a web browser)\n", browse, serve.DefaultAddr)
	return nil
}

// invocation is how to run this harvest again, as a shell command from the
// working directory.
func invocation() string {
	exe, _ := os.Executable()
	wd, _ := os.Getwd()
	return invocationOf(os.Args[0], exe, wd, exec.LookPath)
}

// invocationOf says how to run the program again: "harvest" when that is what
// PATH finds; after `go run` (whose binary is gone once it exits) "go run
// ./cmd/harvest" in the module's root, else "go run" of the package; else the
// path it was started by, or the executable's own.
func invocationOf(arg0, exe, wd string, lookPath func(string) (string, error)) string {
	same := func(a, b string) bool {
		fa, err1 := os.Stat(a)
		fb, err2 := os.Stat(b)
		return err1 == nil && err2 == nil && os.SameFile(fa, fb)
	}
	if p, err := lookPath("harvest"); err == nil && exe != "" && same(p, exe) {
		return "harvest"
	}
	if goRun(exe) {
		if _, err := os.Stat(filepath.Join(wd, "cmd", "harvest", "main.go")); err == nil {
			return "go run ./cmd/harvest"
		}
		pkg := "github.com/harvest-archive/harvest/cmd/harvest"
		if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
			pkg += "@" + info.Main.Version
		}
		return "go run " + pkg
	}
	if strings.ContainsRune(arg0, filepath.Separator) && exe != "" && same(arg0, exe) {
		if !filepath.IsAbs(arg0) && !strings.HasPrefix(arg0, "."+string(filepath.Separator)) && !strings.HasPrefix(arg0, "..") {
			arg0 = "." + string(filepath.Separator) + arg0
		}
		return shellQuote(arg0)
	}
	if exe != "" {
		return shellQuote(exe)
	}
	return "harvest"
}

// goRun tells a binary that `go run` built: it lives in the build cache's
// temporary go-build directory, under exe/.
func goRun(exe string) bool {
	return strings.Contains(exe, "go-build") && filepath.Base(filepath.Dir(exe)) == "exe"
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
