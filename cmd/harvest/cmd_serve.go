package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/harvest-archive/harvest/serve"
	"github.com/harvest-archive/harvest/store"
)

// serveOptions are the flags of `harvest serve`.
type serveOptions struct {
	db, addr, files, warc string
	log                   logOptions
}

func (m *Main) newServeCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "browse, search and check a harvest in a web browser (read-only)",
		Long: `Serves a harvest database as a local web application: full-text search with
filters (dates, new / changed / gone since a date, subjects, people, places,
languages), the collection at a glance, every record with its history, its
document page, its attachments (--files) and its captured pages (--warc),
downloads of a search as CSV or JSON, and a crawl's progress while it runs.

The database is opened read-only: serve never writes it, and a crawl may run
beside it. It listens on 127.0.0.1 unless --addr says otherwise, and warns
when that address reaches beyond this machine. Ctrl-C stops it.`,
		Args: positional(0, 0, "takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return m.serve(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.db, "db", "harvest.db", "SQLite database `file`")
	f.StringVar(&o.addr, "addr", serve.DefaultAddr, "listen on this `host:port`")
	f.StringVar(&o.files, "files", "", "serve attachments from this `directory` (the crawl's --files)")
	f.StringVar(&o.warc, "warc", "", "show captured pages from this `directory` of WARC files (the crawl's --warc)")
	o.log.addFlags(f)
	return cmd
}

func (m *Main) serve(ctx context.Context, o serveOptions) error {
	for _, d := range [...][2]string{{"--files", o.files}, {"--warc", o.warc}} {
		if d[1] == "" {
			continue
		}
		if fi, err := os.Stat(d[1]); err != nil || !fi.IsDir() {
			return fmt.Errorf("%w: %s %s is not a directory", errUsage, d[0], d[1])
		}
	}
	b, err := openExisting(ctx, o.db)
	if err != nil {
		return err
	}
	defer b.Close()
	st, ok := b.(*store.DB)
	if !ok {
		// Its search and overview read SQLite's full-text index and
		// counts (migration 0009), which the PostgreSQL store lacks yet.
		return fmt.Errorf("%w: harvest serve reads a SQLite database; copy a PostgreSQL harvest with harvest migrate --from %s --to FILE first", errUsage, name(o.db))
	}
	st.SetMaxReaders(4)
	log := m.logger(o.log, m.Stderr)
	s, err := serve.New(serve.Config{DB: st, DBPath: o.db, Files: o.files, WARC: o.warc, Logger: log})
	if err != nil {
		return err
	}
	if !st.HasSearchIndex() {
		log.Warn("this database has no search index yet: search is plain text and unranked; run harvest crawl on it once with this harvest to upgrade it", "db", o.db)
	}
	return s.ListenAndServe(ctx, o.addr, func(addr string) {
		fmt.Fprintf(m.Stdout, "Serving %s read-only at http://%s/ (Ctrl-C to stop)\n", o.db, addr)
	})
}
