// Command harvest harvests the paginated search listings of online document
// archives into SQLite and exports them as CSV, JSON, JSON Lines, Dublin Core or RIS.
//
// main only builds the commands, wires the packages together and maps errors
// to exit codes, in one place (exitCode). The commands are spf13/cobra
// commands, so --help, shell completion and the man page all come from the
// one definition of each.
//
// To add a command NAME:
//
//  1. write cmd_NAME.go with a nameOptions struct holding its flags, typed
//     (time.Duration, int64, ...), and func (m *Main) newNameCmd() *cobra.Command
//     that binds each flag to a field of the struct (cmd.Flags().StringVar(&o.x,
//     ...)), checks its positional arguments with positional(min, max, what),
//     and whose RunE calls the command's run function with cmd.Context(), the
//     options and the arguments, writing to m.Stdout and m.Stderr;
//  2. list it in (*Main).newRootCmd.
//
// An error wrapping errUsage exits 2 (flag errors are wrapped already); the
// other errors map to exit codes in exitCode. cmd_stats.go is a short example.
// Every flag is then settable from HARVEST_<NAME> and the --config file
// (config.go) with nothing more to write; a command that logs takes
// logOptions and makes its logger with m.logger, which follows --log-format.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/internal/peakrss"
	"github.com/harvest-archive/harvest/store"
	_ "github.com/harvest-archive/harvest/store/pgstore" // --db postgres://...
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
	var got atomic.Value // the os.Signal that stopped the run, if one did
	go func() {
		got.Store(<-sigs)
		cancel()
		signal.Stop(sigs) // a second Ctrl-C kills at once
	}()
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr}
	stopProfile := startProfile(os.Getenv("HARVEST_CPUPROFILE"), m.Stderr)
	err := m.Run(ctx, os.Args[1:])
	stopProfile()
	cancel()
	peakrss.WriteIfAsked()
	sig, _ := got.Load().(os.Signal)
	os.Exit(exitCode(err, sig, m.sayError))
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

// exitCode maps err to the exit code, and has say report it (once, on one
// line).
func exitCode(err error, sig os.Signal, say func(msg string, code int)) int {
	code := exitError
	msg := fmt.Sprint(err)
	switch {
	case err == nil, errors.Is(err, pflag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		code = exitUsage
	case errors.Is(err, context.Canceled):
		msg, code = "interrupted; the next run resumes", exitInterrupted
		if sig == syscall.SIGTERM {
			code = exitTerminated
		}
	case errors.Is(err, harvest.ErrLocked):
		code = exitLocked
	case errors.Is(err, harvest.ErrPartial):
		code = exitPartial
	}
	say(msg, code)
	return code
}

// sayError reports the error that ends the program on standard error: a
// line "harvest: ..." or, under --log-format json, a JSON line like every
// other (level ERROR, with the exit code).
func (m *Main) sayError(msg string, code int) {
	if m.jsonLog() {
		slog.New(newJSONHandler(m.Stderr, slog.LevelInfo)).Error(msg, "exit", code)
		return
	}
	fmt.Fprintf(m.Stderr, "harvest: %s\n", msg)
}

// Main is the program, its output streams replaceable for tests.
type Main struct {
	Stdout, Stderr io.Writer

	logFormat  string   // --log-format: text or json
	configFile string   // --config
	args       []string // the command line, for sayError before flags are parsed
	configured bool     // the flags are parsed, the environment and --config applied
}

// Run runs the command line args (without the program name).
func (m *Main) Run(ctx context.Context, args []string) error {
	m.args = args
	root := m.newRootCmd()
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

// newRootCmd builds the command tree: every command of harvest is listed here.
func (m *Main) newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "harvest",
		Short: "harvest the paginated search listings of document archives",
		Long: `harvest harvests the paginated search listings of document archives into
SQLite, and exports them as CSV, JSON, JSON Lines, Dublin Core or RIS.

Exit codes: 0 complete, 1 error, 2 usage, 3 partial, 4 database locked,
130/143 interrupted (SIGINT/SIGTERM).`,
		Version:       harvest.Version,
		SilenceErrors: true, // exitCode reports them, once
		SilenceUsage:  true,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q", args[0])
			if s := c.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
			}
			return fmt.Errorf("%w: %s; run 'harvest --help' for the commands", errUsage, msg)
		},
		RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprint(m.Stderr, c.UsageString())
			return fmt.Errorf("%w: no command given", errUsage)
		},
	}
	root.PersistentFlags().StringVar(&m.logFormat, "log-format", "text", "log lines as text (key=value) or json (one JSON object a line)")
	root.PersistentFlags().StringVar(&m.configFile, "config", "", "read flags from this TOML `file` (see the README); HARVEST_CONFIG too")
	root.RegisterFlagCompletionFunc("log-format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if err := m.applyConfig(cmd); err != nil {
			return err
		}
		if m.logFormat != "text" && m.logFormat != "json" {
			return fmt.Errorf("%w: --log-format must be text or json", errUsage)
		}
		m.configured = true
		return nil
	}
	root.SetOut(m.Stdout) // --help, version, completion
	root.SetErr(m.Stderr)
	root.SetVersionTemplate("harvest {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w: %v (see 'harvest %s --help')", errUsage, err, strings.TrimPrefix(c.CommandPath(), "harvest "))
	})
	root.AddCommand(
		m.newCrawlCmd(),
		m.newExportCmd(),
		m.newDemoCmd(),
		m.newStatsCmd(),
		m.newHistoryCmd(),
		m.newReparseCmd(),
		m.newMigrateCmd(),
		m.newWarcCmd(),
		m.newVerifyCmd(),
		m.newProbeCmd(),
		m.newServeCmd(),
		m.newVersionCmd(),
		m.newManCmd(),
	)
	return root
}

// positional checks a command's count of positional arguments: outside
// [lo, hi] it is a usage error that says what the command takes.
func positional(lo, hi int, takes string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return fmt.Errorf("%w: %s %s, got %d", errUsage, c.Name(), takes, len(args))
		}
		return nil
	}
}

// logOptions are the logging flags of the commands that log as they work.
type logOptions struct {
	quiet, verbose bool
}

// addFlags adds --quiet and --verbose to f.
func (o *logOptions) addFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.quiet, "quiet", false, "print only warnings and errors (for cron)")
	f.BoolVar(&o.verbose, "verbose", false, "print every page fetched")
}

// logger makes the logger the flags and --log-format ask for, writing to w.
func (m *Main) logger(o logOptions, w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if o.quiet {
		level = slog.LevelWarn
	}
	if o.verbose {
		level = slog.LevelDebug
	}
	if m.jsonLog() {
		return slog.New(newJSONHandler(w, level))
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// addDBFlag adds --db: a SQLite file, or a PostgreSQL URL (postgres://...)
// that several harvest processes share. HARVEST_DB sets it, as the
// environment sets every flag (config.go).
func addDBFlag(f *pflag.FlagSet, db *string, what string) {
	f.StringVar(db, "db", "harvest.db", "database: a SQLite `file`"+what+", or a postgres:// URL (any libpq URL)")
}

// jsonLog tells whether --log-format json is asked for; before the flags are
// parsed (a usage error in them) it looks at the command line and
// HARVEST_LOG_FORMAT itself.
func (m *Main) jsonLog() bool {
	if m.configured {
		return m.logFormat == "json"
	}
	for i, a := range m.args {
		if a == "--log-format=json" || (a == "--log-format" && i+1 < len(m.args) && m.args[i+1] == "json") {
			return true
		}
	}
	return os.Getenv("HARVEST_LOG_FORMAT") == "json"
}

// newJSONHandler is slog's JSON handler with stable keys: time, level, msg,
// then the message's own; durations as text ("1.5s"), errors as their text.
func newJSONHandler(w io.Writer, level slog.Level) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		switch v := a.Value.Any().(type) {
		case time.Duration:
			return slog.String(a.Key, v.String())
		case error:
			return slog.String(a.Key, v.Error())
		}
		return a
	}})
}

// openExisting opens a database that must exist already, for reading only:
// it works on a read-only copy and while a crawl writes.
func openExisting(ctx context.Context, dsn string) (store.Backend, error) {
	if store.IsFile(dsn) {
		if _, err := os.Stat(dsn); err != nil {
			return nil, fmt.Errorf("database %s: %w", dsn, err)
		}
	}
	return store.OpenBackend(ctx, dsn, store.OpenOptions{ReadOnly: true})
}

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return true
		}
	}
	return false
}
