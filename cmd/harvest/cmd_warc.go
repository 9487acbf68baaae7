package main

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"time"

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

func (m *Main) warc(ctx context.Context, args []string) error {
	subs := map[string]func(context.Context, []string) error{"index": m.warcIndex}
	if len(args) == 0 || subs[args[0]] == nil {
		var names []string
		for n := range subs {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(m.Stderr, "Usage: harvest warc index DIR\n\n  index  rebuild the CDXJ index beside every WARC file in DIR\n")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return nil
		}
		return fmt.Errorf("%w: warc needs a subcommand (%v)", errUsage, names)
	}
	return subs[args[0]](ctx, args[1:])
}

func (m *Main) warcIndex(ctx context.Context, args []string) error {
	fs := m.newFlags("warc index", "DIR", "Rebuilds NAME.cdxj beside every NAME.warc.gz in DIR (the index pywb and\nReplayWeb.page read, and that harvest reads to find earlier payloads).")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: warc index takes one DIR", errUsage)
	}
	if err := warc.Index(ctx, pos[0]); err != nil {
		return fmt.Errorf("warc index: %w", err)
	}
	return nil
}
