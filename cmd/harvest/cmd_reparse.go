package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/harvest-archive/harvest/crawler"
	"github.com/harvest-archive/harvest/parser"
	"github.com/harvest-archive/harvest/store"
	"github.com/harvest-archive/harvest/warc"
)

// reparseOptions are the flags of `harvest reparse`.
type reparseOptions struct {
	warc    string
	db      string
	profile string
	log     logOptions
}

func (m *Main) newReparseCmd() *cobra.Command {
	var o reparseOptions
	cmd := &cobra.Command{
		Use:   "reparse --warc DIR [--db FILE]",
		Short: "run today's parser over captured pages (WARC) and update the records; nothing is fetched",
		Long: "Reads the captures in DIR back, runs today's parser on every listing page\n" +
			"(the latest capture of each) and updates the records as a crawl would:\n" +
			"changed fields get history rows. Nothing is fetched.",
		Args: positional(0, 0, "takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return m.reparse(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.warc, "warc", "", "`directory` of WARC files written by harvest crawl --warc (required)")
	addDBFlag(f, &o.db, " (created when missing)")
	f.StringVar(&o.profile, "profile", "auto", "site profile: a built-in name, a .json file, or auto to choose by each page's host")
	o.log.addFlags(f)
	cmd.RegisterFlagCompletionFunc("profile", completeProfiles)
	cmd.MarkFlagDirname("warc")
	return cmd
}

func (m *Main) reparse(ctx context.Context, o reparseOptions) error {
	if o.warc == "" {
		return fmt.Errorf("%w: reparse needs --warc DIR", errUsage)
	}
	if st, err := os.Stat(o.warc); err != nil {
		return fmt.Errorf("--warc: %w", err)
	} else if !st.IsDir() {
		return fmt.Errorf("--warc %s: not a directory", o.warc)
	}
	log := m.logger(o.log, m.Stderr)
	tuneGC()
	st, err := store.OpenBackend(ctx, o.db, store.OpenOptions{Lock: true})
	if err != nil {
		return err
	}
	defer st.Close()
	// With --profile auto each page's host chooses, as a crawl's start URL does.
	profileFor := parser.ForHost
	if o.profile != "auto" && o.profile != "" {
		p, err := pickProfile(o.profile, "")
		if err != nil {
			return err
		}
		profileFor = func(string) parser.Profile { return p }
	}
	each := func(keep func(string) bool, fn func(crawler.Capture) error) error {
		return warc.ReadLatest(ctx, o.warc, keep, func(c warc.Capture) error {
			return fn(crawler.Capture{URL: c.URL, Date: c.Date, Status: c.Status, Header: c.Header, Body: c.Body})
		})
	}
	sum, err := crawler.Reparse(ctx, profileFor, st, "warc:"+o.warc, each, log)
	log.Info("reparse finished", "captures", sum.Captures, "pages", sum.Pages, "skipped", sum.Skipped, "failed", sum.Failed,
		"new", sum.New, "updated", sum.Updated, "unchanged", sum.Unchanged)
	return err
}
