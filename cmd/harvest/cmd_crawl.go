package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/net/http/httpguts"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/crawler"
	"github.com/harvest-archive/harvest/files"
	"github.com/harvest-archive/harvest/parser"
	"github.com/harvest-archive/harvest/store"
	"github.com/harvest-archive/harvest/store/pgstore"
	"github.com/harvest-archive/harvest/warc"
)

// crawlOptions are the flags of `harvest crawl`.
type crawlOptions struct {
	startURL  string // --start-url, when START_URL is not given
	db        string
	profile   string
	cfg       crawler.Config
	warc      warcOptions
	log       logOptions
	headers   []string // --header
	details   string   // --details[=all]
	fileTypes string   // --file-types
}

func (m *Main) newCrawlCmd() *cobra.Command {
	var o crawlOptions
	cmd := &cobra.Command{
		Use:   "crawl [START_URL]",
		Short: "walk a listing and store its records",
		Long: "Walks the listing from START_URL (default " + harvest.DefaultStartURL + ")\n" +
			"through its pager and stores every record in the database. An interrupted\n" +
			"crawl of the same START_URL resumes where it stopped.",
		Args: positional(0, 1, "takes one START_URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && cmd.Flags().Changed("start-url") && args[0] != o.startURL {
				return fmt.Errorf("%w: two start URLs given (%s and --start-url %s)", errUsage, args[0], o.startURL)
			}
			return m.crawl(cmd.Context(), o, args)
		},
	}
	d := crawler.DefaultConfig("")
	f := cmd.Flags()
	f.StringVar(&o.startURL, "start-url", harvest.DefaultStartURL, "the listing to walk when no START_URL is given (for --config and HARVEST_START_URL)")
	addDBFlag(f, &o.db, "")
	f.StringVar(&o.profile, "profile", "auto", "site profile: a built-in name ("+strings.Join(parser.Names(), ", ")+"), a .json file, or auto to choose by the start URL's host")
	f.IntVar(&o.cfg.MaxPages, "max-pages", 0, "fetch at most `N` listing pages in this run (0: no limit); the next run goes on")
	f.DurationVar(&o.cfg.Delay, "delay", d.Delay, "wait between requests to the host (plus up to a quarter more at random)")
	f.IntVar(&o.cfg.Concurrency, "concurrency", d.Concurrency, "requests in flight to the host at once (1 to 64)")
	f.StringVar(&o.cfg.UserAgent, "user-agent", d.UserAgent, "User-Agent header (not empty)")
	f.StringArrayVar(&o.headers, "header", nil, headerFlagUsage)
	f.DurationVar(&o.cfg.Timeout, "timeout", d.Timeout, "time limit of one request, body included")
	f.IntVar(&o.cfg.Retries, "retries", d.Retries, "retries of a request that failed in a way that can pass (5xx, 429, timeout, reset, cut-off body)")
	f.DurationVar(&o.cfg.MaxRetryWait, "max-retry-wait", d.MaxRetryWait, "the longest Retry-After honoured: a server asking for more fails the page at once, and holds the host no longer than this")
	f.Int64Var(&o.cfg.MaxBody, "max-body", d.MaxBody, "largest response body in `bytes`; a larger one fails the page")
	f.BoolVar(&o.cfg.IgnoreRobots, "ignore-robots", false, "do not read or obey robots.txt")
	f.StringVar(&o.warc.dir, "warc", "", "write every HTTP exchange (robots.txt, pages, retries) as WARC 1.1 into this `directory`, with a CDXJ index beside each file")
	f.Int64Var(&o.warc.maxSize, "warc-max-size", warc.DefaultMaxSize, "start a new WARC file once one passes this many `bytes`")
	f.StringVar(&o.warc.prefix, "warc-prefix", warc.DefaultPrefix, "WARC file names are PREFIX-TIMESTAMP-SERIAL.warc.gz")
	f.DurationVar(&o.cfg.Lease, "lease", crawler.DefaultLease, "with a postgres:// --db, which several workers share: how long a worker holds a page it fetches before another may take it (a dead worker's pages wait this long)")
	f.BoolVar(&o.cfg.Incremental, "incremental", false, "walk the listing newest first and stop at the first page with nothing new (needs a profile that knows the order; else a full walk with conditional requests)")
	f.StringVar(&o.details, "details", "", "after the listing, fetch each record's document page when new, changed in the listing, or failed last time; --details=all: every page (conditionally)")
	f.Lookup("details").NoOptDefVal = "new"
	f.StringVar(&o.cfg.FilesDir, "files", "", "download every attachment of the stored document pages into this `directory`, named by SHA-256 (implies --details)")
	f.Int64Var(&o.cfg.MaxFileSize, "max-file-size", d.MaxFileSize, "largest attachment kept, in `bytes` (0: no limit)")
	f.Int64Var(&o.cfg.MaxBytes, "max-bytes", 0, "attachment `bytes` to download in this run (0: no limit); the next run goes on")
	f.StringVar(&o.fileTypes, "file-types", "", "attachment types to keep, as `extensions` (pdf,jpg): by content type or extension (default all)")
	o.log.addFlags(f)
	o.cfg.Backoff = d.Backoff
	cmd.RegisterFlagCompletionFunc("profile", completeProfiles)
	return cmd
}

// check completes the options from the positional arguments and rejects
// what cannot run.
func (o *crawlOptions) check(args []string) error {
	o.cfg.StartURL = o.startURL
	if len(args) == 1 {
		o.cfg.StartURL = args[0]
	}
	// Credentials in the start URL are sent to its host, never kept: from
	// here on no URL carries them (the WARC's warcinfo included).
	o.cfg = o.cfg.WithoutCredentials()
	if err := checkHTTPURL("START_URL", o.cfg.StartURL); err != nil {
		return err
	}
	if err := checkUserAgent(o.cfg.UserAgent); err != nil {
		return err
	}
	var err error
	if o.cfg.Header, err = parseHeaders(o.headers); err != nil {
		return err
	}
	switch {
	case o.cfg.Concurrency < 1 || o.cfg.Concurrency > maxConcurrency:
		return fmt.Errorf("%w: --concurrency must be between 1 and %d", errUsage, maxConcurrency)
	case o.warc.maxSize <= 0:
		return fmt.Errorf("%w: --warc-max-size must be positive", errUsage)
	case o.cfg.Delay < 0 || o.cfg.Timeout <= 0 || o.cfg.MaxRetryWait < 0 || o.cfg.Retries < 0 || o.cfg.MaxPages < 0 || o.cfg.MaxBody <= 0:
		return fmt.Errorf("%w: --delay, --retries and --max-pages cannot be negative; --timeout and --max-body must be positive", errUsage)
	case o.cfg.MaxFileSize < 0 || o.cfg.MaxBytes < 0:
		return fmt.Errorf("%w: --max-file-size and --max-bytes cannot be negative", errUsage)
	}
	switch o.details {
	case "", "none", "false":
		o.cfg.Details = crawler.DetailsNone
	case "new", "true":
		o.cfg.Details = crawler.DetailsNew
	case "all":
		o.cfg.Details = crawler.DetailsAll
	default:
		return fmt.Errorf("%w: --details=%s: want --details or --details=all", errUsage, o.details)
	}
	if o.cfg.FilesDir != "" && o.cfg.Details == crawler.DetailsNone {
		o.cfg.Details = crawler.DetailsNew // attachments are found on document pages
	}
	types, err := files.ParseTypes(o.fileTypes)
	if err != nil {
		return fmt.Errorf("%w: --file-types: %v", errUsage, err)
	}
	o.cfg.FileTypes = types
	return nil
}

func (m *Main) crawl(ctx context.Context, o crawlOptions, args []string) error {
	if err := o.check(args); err != nil {
		return err
	}
	logTo := io.Writer(m.Stderr)
	if width, isTerm := terminalWidth(m.Stderr); wantProgress(isTerm, o.log, m.logFormat) {
		d := newProgressDisplay(m.Stderr, width)
		defer d.finish()
		o.cfg.Progress, logTo = d.update, d
	}
	o.cfg.Logger = m.logger(o.log, logTo)
	tuneGC()
	var err error
	if o.cfg.Profile, err = pickProfile(o.profile, o.cfg.StartURL); err != nil {
		return err
	}
	sum, err := runCrawl(ctx, o.db, o.cfg, o.warc)
	// A run that never began (the database locked or unopenable, the host
	// unreachable) has no summary to tell: the error says it all.
	if sum.Outcome != "" && (sum.Outcome != harvest.OutcomeFailed || err == nil) {
		report(o.cfg.Logger, sum)
	}
	return err
}

// maxConcurrency bounds --concurrency: more requests at once to one host than
// this is no longer polite to any archive, and would overrun a server's
// connection limit.
const maxConcurrency = 64

// checkHTTPURL rejects, as a usage error, what is not an absolute http or
// https URL with a host; what names the argument or flag.
func checkHTTPURL(what, raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %s %q is not a URL: %v", errUsage, what, raw, errors.Unwrap(err))
	case u.Scheme == "":
		return fmt.Errorf("%w: %s %q is not a URL: it must begin with http:// or https://", errUsage, what, raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%w: %s %s: harvest fetches http:// and https:// URLs only, not %s URLs", errUsage, what, raw, u.Scheme)
	case u.Host == "":
		return fmt.Errorf("%w: %s %q names no host", errUsage, what, raw)
	}
	return nil
}

// checkUserAgent rejects an empty User-Agent (a site's operator must be able
// to tell who is crawling) and one that cannot be sent in a header.
func checkUserAgent(ua string) error {
	switch {
	case strings.TrimSpace(ua) == "":
		return fmt.Errorf("%w: --user-agent cannot be empty: the site's operator must be able to tell who crawls (the default names harvest)", errUsage)
	case !httpguts.ValidHeaderFieldValue(ua):
		return fmt.Errorf("%w: --user-agent %q holds characters a header cannot carry", errUsage, ua)
	}
	return nil
}

// completeProfiles completes --profile with the built-in profiles' names
// and .json files.
func completeProfiles(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return append([]string{"auto"}, parser.Names()...), cobra.ShellCompDirectiveDefault
}

// tuneGC trades a little memory for less collector work during a crawl,
// which allocates a parsed page after another: the heap may grow to twice
// the live data between collections (GOGC=200), under a soft limit of 40 MiB
// that brings collections back before the resident set nears its budget.
// GOGC or GOMEMLIMIT in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(40 << 20)
	}
}

// pickProfile resolves --profile: a built-in name, a JSON file, or auto (by host).
func pickProfile(name, startURL string) (parser.Profile, error) {
	switch {
	case name == "" || name == "auto":
		return crawler.DefaultConfig(startURL).Profile, nil
	case strings.HasSuffix(name, ".json"):
		return parser.LoadProfile(name)
	case name == "shape":
		return parser.Lookup("auto")
	}
	p, err := parser.Lookup(name)
	if err != nil {
		return p, fmt.Errorf("%w: %v", errUsage, err)
	}
	return p, nil
}

// runCrawl opens and locks the database, opens the WARC capture when asked,
// crawls, and closes both. A database file that this run created is removed
// again when the host could not be reached, so that an unreachable site
// leaves nothing behind.
//
// A postgres:// database is shared: it takes no lock, the crawl joins the
// walk other workers run on it (leasing pages), and the host's politeness
// is kept for all of them in the database.
func runCrawl(ctx context.Context, path string, cfg crawler.Config, capture warcOptions) (harvest.RunSummary, error) {
	_, statErr := os.Stat(path)
	created := store.IsFile(path) && errors.Is(statErr, os.ErrNotExist)
	db, err := store.OpenBackend(ctx, path, store.OpenOptions{Lock: store.IsFile(path)})
	if err != nil {
		return harvest.RunSummary{}, err
	}
	if pg, ok := db.(*pgstore.DB); ok {
		// A slot a dead worker held runs out after its request's timeout.
		cfg.Limiter = pg.HostGate(cfg.Delay, cfg.Concurrency, cfg.Timeout+30*time.Second)
	}
	closeCapture, err := openCapture(capture, &cfg)
	if err != nil {
		db.Close()
		return harvest.RunSummary{}, err
	}
	sum, err := crawler.Run(ctx, cfg, db)
	if cerr := closeCapture(); cerr != nil && err == nil {
		err = cerr
	}
	if cerr := db.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close %s: %w", path, cerr)
	}
	if created && errors.Is(err, harvest.ErrUnreachable) {
		for _, suffix := range []string{"", "-wal", "-shm", ".lock"} {
			os.Remove(path + suffix)
		}
	}
	return sum, err
}

// report logs the one-line summary of a run.
func report(log *slog.Logger, s harvest.RunSummary) {
	attrs := []any{"outcome", s.Outcome, "mode", s.Mode, "pages", s.Pages, "requests", s.Requests, "not_modified", s.NotModified,
		"new", s.New, "updated", s.Updated, "unchanged", s.Unchanged, "gone", s.Gone, "failed_pages", s.FailedPages, "records", s.Records}
	if s.Repaired > 0 {
		attrs = append(attrs, "repaired_pages", s.Repaired)
	}
	if s.TotalReported > 0 {
		attrs = append(attrs, "listing_total", s.TotalReported, "missing", s.TotalReported-s.Records)
	}
	if s.Documents+s.FailedDocuments > 0 {
		attrs = append(attrs, "documents", s.Documents, "documents_not_modified", s.DocumentsNotModified, "failed_documents", s.FailedDocuments)
	}
	if s.Files+s.FilesPresent+s.FailedFiles > 0 {
		attrs = append(attrs, "files", s.Files, "files_present", s.FilesPresent, "file_bytes", s.FileBytes, "failed_files", s.FailedFiles)
	}
	if s.Message != "" {
		attrs = append(attrs, "note", s.Message)
	}
	switch {
	case s.Outcome == harvest.OutcomeComplete && (s.TotalReported == 0 || s.Records >= s.TotalReported || s.Mode == harvest.WalkIncremental):
		log.Info("crawl finished", attrs...)
	default:
		log.Warn("crawl finished", attrs...)
	}
}
