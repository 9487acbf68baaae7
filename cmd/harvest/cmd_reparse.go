package main

import (
	"context"
	"fmt"
	"os"

	"github.com/harvest-archive/harvest/crawler"
	"github.com/harvest-archive/harvest/parser"
	"github.com/harvest-archive/harvest/store"
	"github.com/harvest-archive/harvest/warc"
)

func (m *Main) reparse(ctx context.Context, args []string) error {
	fs := m.newFlags("reparse", "--warc DIR --db FILE [flags]",
		"Reads the captures in DIR back, runs today's parser on every listing page\n"+
			"(the latest capture of each) and updates the records as a crawl would:\n"+
			"changed fields get history rows. Nothing is fetched.")
	dir := fs.String("warc", "", "directory of WARC files written by `harvest crawl --warc`")
	db := fs.String("db", "harvest.db", "SQLite database `file` (created when missing)")
	profile := fs.String("profile", "auto", "site profile: a built-in name, a .json file, or auto to choose by each page's host")
	logger := m.logFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *dir == "" {
		return fmt.Errorf("%w: reparse needs --warc DIR and takes no arguments", errUsage)
	}
	if st, err := os.Stat(*dir); err != nil {
		return fmt.Errorf("--warc: %w", err)
	} else if !st.IsDir() {
		return fmt.Errorf("--warc %s: not a directory", *dir)
	}
	log := logger()
	tuneGC()
	st, err := store.Open(ctx, *db, store.WithLock())
	if err != nil {
		return err
	}
	defer st.Close()
	// With --profile auto each page's host chooses, as a crawl's start URL does.
	profileFor := parser.ForHost
	if *profile != "auto" && *profile != "" {
		p, err := pickProfile(*profile, "")
		if err != nil {
			return err
		}
		profileFor = func(string) parser.Profile { return p }
	}
	each := func(keep func(string) bool, fn func(crawler.Capture) error) error {
		return warc.ReadLatest(ctx, *dir, keep, func(c warc.Capture) error {
			return fn(crawler.Capture{URL: c.URL, Date: c.Date, Status: c.Status, Header: c.Header, Body: c.Body})
		})
	}
	sum, err := crawler.Reparse(ctx, profileFor, st, "warc:"+*dir, each, log)
	log.Info("reparse finished", "captures", sum.Captures, "pages", sum.Pages, "skipped", sum.Skipped, "failed", sum.Failed,
		"new", sum.New, "updated", sum.Updated, "unchanged", sum.Unchanged)
	return err
}
