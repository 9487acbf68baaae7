// Command harvest harvests the paginated search listings of online document
// archives into SQLite and exports them as CSV, JSON or JSON Lines.
//
// main only parses flags, wires the packages together and maps errors to exit
// codes, in one place (exitCode).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/internal/peakrss"
	"github.com/harvest-archive/harvest/store"
)

// Exit codes, as the README documents them.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitPartial     = 3
	exitLocked      = 4
	exitInterrupted = 130 // SIGINT
	exitTerminated  = 143 // SIGTERM
)

// errUsage marks a command line that cannot be run.
var errUsage = errors.New("usage")

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var got os.Signal
	go func() {
		got = <-sigs
		cancel()
		signal.Stop(sigs) // a second Ctrl-C kills at once
	}()
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr}
	stopProfile := startProfile(os.Getenv("HARVEST_CPUPROFILE"), m.Stderr)
	err := m.Run(ctx, os.Args[1:])
	stopProfile()
	cancel()
	peakrss.WriteIfAsked()
	os.Exit(exitCode(err, got, m.Stderr))
}

// startProfile writes a CPU profile to path (from HARVEST_CPUPROFILE) until
// the returned func is called; for finding hot spots with `go tool pprof`.
func startProfile(path string, stderr io.Writer) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "harvest: cpu profile: %v\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(stderr, "harvest: cpu profile: %v\n", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// exitCode reports err (once, on one line) and maps it to the exit code.
func exitCode(err error, sig os.Signal, stderr io.Writer) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "harvest: %v\n", err)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "harvest: interrupted; the next run resumes")
		if sig == syscall.SIGTERM {
			return exitTerminated
		}
		return exitInterrupted
	case errors.Is(err, harvest.ErrLocked):
		fmt.Fprintf(stderr, "harvest: %v\n", err)
		return exitLocked
	case errors.Is(err, harvest.ErrPartial):
		fmt.Fprintf(stderr, "harvest: %v\n", err)
		return exitPartial
	}
	fmt.Fprintf(stderr, "harvest: %v\n", err)
	return exitError
}

// Main is the program, its output streams replaceable for tests.
type Main struct {
	Stdout, Stderr io.Writer
}

type command struct {
	summary string
	run     func(m *Main, ctx context.Context, args []string) error
}

var commands = map[string]command{
	"crawl":   {"walk a listing and store its records", (*Main).crawl},
	"export":  {"write the stored records as CSV, JSON or JSON Lines", (*Main).export},
	"demo":    {"crawl the bundled fixture archive offline, and export it", (*Main).demo},
	"stats":   {"summarise a database: records, runs, completeness, failures, years", (*Main).stats},
	"history": {"show the recorded changes of one record", (*Main).history},
	"reparse": {"run today's parser over captured pages (WARC) and update the records; nothing is fetched", (*Main).reparse},
	"warc":    {"work on WARC captures: 'warc index DIR' rebuilds their CDXJ indexes", (*Main).warc},
	"probe":   {"show what the profile and auto find on one listing page", (*Main).probe},
}

// Run runs the command named by args[0].
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		m.usage()
		return fmt.Errorf("%w: no command given", errUsage)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		m.usage()
		return nil
	case "-version", "--version", "version":
		fmt.Fprintln(m.Stdout, "harvest", harvest.Version)
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		m.usage()
		return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	return cmd.run(m, ctx, args[1:])
}

func (m *Main) usage() {
	fmt.Fprint(m.Stderr, `harvest harvests the paginated search listings of document archives into
SQLite, and exports them as CSV, JSON or JSON Lines.

Usage:
  harvest <command> [flags] [arguments]

Commands:
`)
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(m.Stderr, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(m.Stderr, `
Run 'harvest <command> --help' for a command's flags.
Exit codes: 0 complete, 1 error, 2 usage, 3 partial, 4 database locked,
130/143 interrupted (SIGINT/SIGTERM).
`)
}

// newFlags makes a command's flag set; its usage names the command.
func (m *Main) newFlags(name, args, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: harvest %s %s\n\n%s\n\nFlags:\n", name, args, about)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags that may stand before or after the positional
// arguments, and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// logFlags adds --quiet and --verbose; the returned func makes the logger.
func (m *Main) logFlags(fs *flag.FlagSet) func() *slog.Logger {
	quiet := fs.Bool("quiet", false, "print only warnings and errors (for cron)")
	verbose := fs.Bool("verbose", false, "print every page fetched")
	return func() *slog.Logger {
		level := slog.LevelInfo
		if *quiet {
			level = slog.LevelWarn
		}
		if *verbose {
			level = slog.LevelDebug
		}
		return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: level}))
	}
}

// openExisting opens a database that must exist already, for reading only:
// it works on a read-only copy and while a crawl writes.
func openExisting(ctx context.Context, path string) (*store.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	return store.OpenReadOnly(ctx, path)
}

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return true
		}
	}
	return false
}
