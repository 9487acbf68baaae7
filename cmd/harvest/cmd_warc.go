package main

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/crawler"
	"github.com/harvest-archive/harvest/fetch"
	"github.com/harvest-archive/harvest/warc"
)

// warcOptions are the capture flags of `harvest crawl` and `harvest demo`.
type warcOptions struct {
	dir     string
	maxSize int64
	prefix  string
}

// recorder hands the crawl's exchanges to a WARC writer.
type recorder struct{ w *warc.Writer }

func (r recorder) Record(ex fetch.Exchange) error { return r.w.Write(warc.Exchange(ex)) }

// RecordSpooled records a download from its spool file (fetch.SpoolRecorder):
// an attachment goes into the WARC without being held in memory.
func (r recorder) RecordSpooled(ex fetch.Exchange, response io.ReaderAt, size int64) error {
	return r.w.WriteSpooled(warc.Exchange(ex), response, size)
}

// Sync puts what was recorded on disk; the crawl calls it before it commits
// the pages.
func (r recorder) Sync() error { return r.w.Sync() }

// openCapture opens the WARC writer of a crawl, when --warc asks for one,
// and sets it as the crawl's recorder. The returned func closes it (writing
// the CDXJ indexes) and logs what it wrote.
func openCapture(o warcOptions, cfg *crawler.Config) (func() error, error) {
	if o.dir == "" {
		return func() error { return nil }, nil
	}
	w, err := warc.Open(warc.Options{
		Dir: o.dir, Prefix: o.prefix, MaxSize: o.maxSize,
		Software: "harvest/" + harvest.Version,
		Info: map[string]string{
			"harvest-start-url":      cfg.StartURL,
			"harvest-profile":        cfg.Profile.Name,
			"harvest-started":        time.Now().UTC().Format(time.RFC3339),
			"harvest-delay":          cfg.Delay.String(),
			"harvest-robots":         strconv.FormatBool(!cfg.IgnoreRobots),
			"http-header-user-agent": cfg.UserAgent,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("--warc %s: %w", o.dir, err)
	}
	cfg.Recorder = recorder{w}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func() error {
		err := w.Close()
		s := w.Stats()
		log.Info("captures written", "dir", o.dir, "files", s.Files, "exchanges", s.Exchanges, "revisits", s.Revisits, "bytes", s.Bytes)
		if err != nil {
			return fmt.Errorf("close WARC in %s: %w", o.dir, err)
		}
		return nil
	}, nil
}

func (m *Main) newWarcCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "warc SUBCOMMAND",
		Short: "work on WARC captures: 'warc index DIR' rebuilds their CDXJ indexes",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprint(m.Stderr, cmd.UsageString())
			if len(args) > 0 {
				return fmt.Errorf("%w: unknown warc subcommand %q", errUsage, args[0])
			}
			return fmt.Errorf("%w: warc needs a subcommand (index)", errUsage)
		},
	}
	index := &cobra.Command{
		Use:   "index DIR",
		Short: "rebuild the CDXJ index beside every WARC file in DIR",
		Long:  "Rebuilds NAME.cdxj beside every NAME.warc.gz in DIR (the index pywb and\nReplayWeb.page read, and that harvest reads to find earlier payloads).",
		Args:  positional(1, 1, "takes one DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := warc.Index(cmd.Context(), args[0]); err != nil {
				return fmt.Errorf("warc index: %w", err)
			}
			return nil
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs
		},
	}
	cmd.AddCommand(index)
	return cmd
}
