package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/crawler"
	"github.com/harvest-archive/harvest/fetch"
	"github.com/harvest-archive/harvest/parser"
)

// probeOptions are the flags of `harvest probe`.
type probeOptions struct {
	pageURL string // the listing page's URL (argument or --url)
	file    string // a saved page to read instead of fetching
	profile string
	asJSON  bool
	suggest string // where to write a suggested profile ("-": stdout)
	width   int    // terminal width that titles and summaries are cut to

	userAgent    string
	timeout      time.Duration
	maxBody      int64
	ignoreRobots bool
	auth         *url.Userinfo // credentials taken out of the URL
	headers      []string      // --header
	header       http.Header
}

func (m *Main) newProbeCmd() *cobra.Command {
	var o probeOptions
	cmd := &cobra.Command{
		Use:   "probe URL | --file PAGE.html --url URL",
		Short: "show what the profile and auto find on one listing page",
		Long: "Fetches one listing page (or reads a saved one) and shows what the profile\n" +
			"and the auto strategy each find there: the records, the results line and\n" +
			"total, the next link and the page numbering it implies, and what was refused.\n" +
			"Exit codes: 0 records found, 1 error (fetch, robots.txt, bot challenge),\n" +
			"2 usage, 3 no records under either strategy.",
		Args: positional(0, 1, "takes one URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.check(args); err != nil {
				return err
			}
			return runProbe(cmd.Context(), o, m.Stdout)
		},
	}
	d := crawler.DefaultConfig("")
	f := cmd.Flags()
	f.StringVar(&o.pageURL, "url", "", "the page's URL, for a page read with --file (links resolve against it)")
	f.StringVar(&o.file, "file", "", "read the listing page from this saved `file` instead of fetching it (no network)")
	f.StringVar(&o.profile, "profile", "auto", "site profile: a built-in name ("+strings.Join(parser.Names(), ", ")+"), a .json file, or auto to choose by the URL's host")
	f.BoolVar(&o.asJSON, "json", false, "print the report as JSON for scripts")
	f.StringVar(&o.suggest, "suggest", "", "write a starting profile (JSON, as --profile reads it) from what auto found to this `file` (- for standard output)")
	f.IntVar(&o.width, "width", 100, "cut titles and summaries to this many `columns` (text output)")
	f.StringVar(&o.userAgent, "user-agent", d.UserAgent, "User-Agent header")
	f.StringArrayVar(&o.headers, "header", nil, headerFlagUsage)
	f.DurationVar(&o.timeout, "timeout", d.Timeout, "time limit of the request, body included")
	f.Int64Var(&o.maxBody, "max-body", d.MaxBody, "largest response body in `bytes`")
	f.BoolVar(&o.ignoreRobots, "ignore-robots", false, "do not read or obey robots.txt")
	cmd.RegisterFlagCompletionFunc("profile", completeProfiles)
	return cmd
}

// check completes the options from the positional arguments and rejects
// what cannot run.
func (o *probeOptions) check(pos []string) error {
	switch {
	case len(pos) == 1 && o.pageURL != "" && pos[0] != o.pageURL:
		return fmt.Errorf("%w: two URLs given (%s and --url %s)", errUsage, pos[0], o.pageURL)
	case len(pos) == 1:
		o.pageURL = pos[0]
	}
	switch {
	case o.pageURL == "":
		return fmt.Errorf("%w: probe needs the page's URL (with --file, as --url)", errUsage)
	case o.timeout <= 0 || o.maxBody <= 0 || o.width < 20:
		return fmt.Errorf("%w: --timeout and --max-body must be positive, --width at least 20", errUsage)
	case o.suggest == "-" && o.asJSON:
		return fmt.Errorf("%w: --suggest - and --json both want standard output", errUsage)
	}
	if err := checkUserAgent(o.userAgent); err != nil {
		return err
	}
	var err error
	if o.header, err = parseHeaders(o.headers); err != nil {
		return err
	}
	// Credentials leave the URL before anything can quote it: they are
	// sent to the page's host (Basic auth) and shown nowhere.
	o.pageURL, o.auth = fetch.SplitUserinfo(o.pageURL)
	u, err := url.Parse(o.pageURL)
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%w: %q is not an http(s) URL", errUsage, o.pageURL)
	}
	return nil
}

// probePage is the listing page a probe reads, in UTF-8.
type probePage struct {
	URL          string // final URL after redirects, without user:password
	Source       string // "http" or "file"
	Status       int    // HTTP status; 0 for a file
	Charset      string
	InvalidBytes int
	Body         []byte
}

// runProbe reads the page, reports what each strategy finds to w, and writes
// the suggested profile when asked. It returns an error wrapping
// harvest.ErrPartial when no strategy found a record, and harvest.ErrChallenge
// when the page is a bot challenge.
func runProbe(ctx context.Context, o probeOptions, w io.Writer) error {
	// A profile that cannot be had is said before anything is fetched.
	if _, err := pickProfile(o.profile, o.pageURL); err != nil {
		return err
	}
	var pg probePage
	var err error
	if o.file != "" {
		pg, err = readSaved(o.file, o.pageURL)
	} else {
		pg, err = fetchOne(ctx, o)
	}
	if err != nil {
		return err
	}
	prof, err := pickProfile(o.profile, pg.URL) // by the final URL's host, after a redirect
	if err != nil {
		return err
	}
	rep := parser.Probe(pg.Body, pg.URL, prof)
	out := newProbeJSON(pg, prof, rep)

	report := w
	if o.suggest == "-" {
		report = io.Discard // standard output holds the profile alone
	}
	if o.asJSON {
		enc := json.NewEncoder(report)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		writeProbe(report, out, o.width)
	}
	if o.suggest != "" {
		if err := writeSuggestion(pg, o.suggest, w); err != nil {
			return err
		}
	}
	if out.Records > 0 {
		return nil
	}
	if out.Challenge {
		return fmt.Errorf("probe %s: %w", pg.URL, harvest.ErrChallenge)
	}
	return fmt.Errorf("%w: no records on %s under %s: %s", harvest.ErrPartial, pg.URL, strategyNames(out), noRecordsWhy(out))
}

// noRecordsWhy says why a page gave no records: it says it has none (no
// strategy calls that an error), or no strategy recognised them.
func noRecordsWhy(out probeJSON) string {
	for _, s := range out.Strategies {
		if s.Error != "" {
			return "the page has content but no recognisable records"
		}
	}
	return "the page says it has no results"
}

func strategyNames(out probeJSON) string {
	var names []string
	for _, s := range out.Strategies {
		names = append(names, s.Name)
	}
	return strings.Join(names, " or ")
}

// writeSuggestion writes auto's profile of the page to path, or to w for "-".
func writeSuggestion(pg probePage, path string, w io.Writer) error {
	name := "suggested"
	if u, err := url.Parse(pg.URL); err == nil && u.Hostname() != "" {
		name = u.Hostname()
	}
	b, err := parser.SuggestProfile(pg.Body, pg.URL, name)
	if err != nil {
		return fmt.Errorf("suggest a profile: %w", err)
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	if path == "-" {
		_, err = w.Write(b)
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("suggest a profile: %w", err)
	}
	return nil
}

// readSaved reads a saved page and decodes it by its <meta> charset.
func readSaved(path, pageURL string) (probePage, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return probePage{}, fmt.Errorf("read page: %w", err)
	}
	d := parser.DecodeHTML(b, "")
	return probePage{URL: withoutUser(pageURL), Source: "file", Charset: d.Charset, InvalidBytes: d.Invalid, Body: d.Body}, nil
}

// fetchOne fetches the page with one GET through the crawl's own HTTP
// layers (package fetch): the harvest User-Agent, the crawl's timeout and
// body cap, redirects on the same host only, and robots.txt obeyed unless
// told otherwise (that costs one more request, for /robots.txt).
func fetchOne(ctx context.Context, o probeOptions) (probePage, error) {
	start, _ := url.Parse(o.pageURL) // checked by register
	cl := fetch.New(ctx, fetch.Config{UserAgent: o.userAgent, Concurrency: 1, Timeout: o.timeout, MaxBody: o.maxBody, Host: start.Host,
		Auth: o.auth, HTTPSOnlyAuth: start.Scheme == "https", Header: o.header})
	if !o.ignoreRobots {
		rules, err := fetch.FetchRobots(ctx, cl, start, o.userAgent)
		if err != nil {
			return probePage{}, unreachableProbe(err)
		}
		if rules.DisallowsAll() {
			return probePage{}, fmt.Errorf("robots.txt of %s answered with a server error: nothing may be fetched (RFC 9309; --ignore-robots to probe anyway)", start.Host)
		}
		if !rules.Allowed(o.pageURL) {
			return probePage{}, fmt.Errorf("robots.txt of %s disallows %s (--ignore-robots to probe it anyway)", start.Host, start.Redacted())
		}
	}
	resp, err := cl.Get(ctx, o.pageURL, nil)
	if err != nil {
		return probePage{}, unreachableProbe(err)
	}
	if resp.Status != http.StatusOK {
		if resp.Challenge || parser.IsChallenge(resp.Body) {
			return probePage{}, fmt.Errorf("probe %s: HTTP %d: %w", withoutUser(resp.URL), resp.Status, harvest.ErrChallenge)
		}
		return probePage{}, fmt.Errorf("probe %s: HTTP %d %s", withoutUser(resp.URL), resp.Status, http.StatusText(resp.Status))
	}
	return probePage{URL: withoutUser(resp.URL), Source: "http", Status: resp.Status, Charset: resp.Charset, InvalidBytes: resp.Invalid, Body: resp.Body}, nil
}

// unreachableProbe marks a request that got no HTTP answer at all.
func unreachableProbe(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var fe *fetch.Error
	if errors.As(err, &fe) && fe.Status == 0 && !errors.Is(err, fetch.ErrOffHost) && !errors.Is(err, fetch.ErrRedirectLoop) && !errors.Is(err, fetch.ErrTooLarge) && !os.IsTimeout(err) {
		return fmt.Errorf("%w: %v", harvest.ErrUnreachable, err)
	}
	return err
}

// withoutUser drops user:password from a URL, so that neither the report
// nor the record URLs resolved against it carry a password.
func withoutUser(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

// probeJSON is the report of `harvest probe --json`. Its keys are stable:
//
//	url            the page's URL (after redirects; no user:password)
//	source         "http" (fetched) or "file" (--file)
//	status         the HTTP status; 0 for a file
//	charset        the charset the page was decoded from
//	invalid_bytes  bytes not valid in it (replaced by U+FFFD)
//	challenge      the page is a bot challenge
//	profile        the profile asked for (--profile, or the one auto chose by host)
//	records        the most records any strategy found
//	strategies     one object per strategy, the profile's first (unless it
//	               is auto), then auto's:
//	  name         the profile's name, or "auto"
//	  found_by     "profile" or "auto": how the records were found (a
//	               profile that finds nothing falls back to auto)
//	  error        the parse error, "" when none
//	  window       the results line: {"first", "last", "total"}; zeros when none
//	  next         the next page's absolute URL, "" when none
//	  next_page    the page numbering the next link implies: {"param",
//	               "number"} (e.g. page, 9), or null when it implies none
//	  next_is_self the next link points to this very page
//	  record_count the number of records
//	  records      [{"url", "title", "date_text", "date", "summary"}]
//	  warnings     problems that did not stop the parse
//	  refused      [{"what", "why"}]: candidates considered and not taken
type probeJSON struct {
	URL          string         `json:"url"`
	Source       string         `json:"source"`
	Status       int            `json:"status"`
	Charset      string         `json:"charset"`
	InvalidBytes int            `json:"invalid_bytes"`
	Challenge    bool           `json:"challenge"`
	Profile      string         `json:"profile"`
	Records      int            `json:"records"`
	Strategies   []strategyJSON `json:"strategies"`
}

type strategyJSON struct {
	Name        string        `json:"name"`
	FoundBy     string        `json:"found_by"`
	Error       string        `json:"error"`
	Window      windowJSON    `json:"window"`
	Next        string        `json:"next"`
	NextPage    *nextPageJSON `json:"next_page"`
	NextIsSelf  bool          `json:"next_is_self"`
	RecordCount int           `json:"record_count"`
	Records     []recordJSON  `json:"records"`
	Warnings    []string      `json:"warnings"`
	Refused     []refusalJSON `json:"refused"`
}

type windowJSON struct {
	First int `json:"first"`
	Last  int `json:"last"`
	Total int `json:"total"`
}

type nextPageJSON struct {
	Param  string `json:"param"`
	Number int    `json:"number"`
}

type recordJSON struct {
	URL      string `json:"url"`
	Title    string `json:"title"`
	DateText string `json:"date_text"`
	Date     string `json:"date"`
	Summary  string `json:"summary"`
}

type refusalJSON struct {
	What string `json:"what"`
	Why  string `json:"why"`
}

func newProbeJSON(pg probePage, prof parser.Profile, rep parser.Report) probeJSON {
	out := probeJSON{URL: pg.URL, Source: pg.Source, Status: pg.Status, Charset: pg.Charset, InvalidBytes: pg.InvalidBytes,
		Challenge: parser.IsChallenge(pg.Body), Profile: prof.Name, Strategies: []strategyJSON{}}
	for _, s := range rep.Strategies {
		sj := strategyJSON{Name: s.Name, FoundBy: s.Page.Strategy, Error: s.Err, Next: s.Page.Next,
			Window:      windowJSON{s.Page.Window.First, s.Page.Window.Last, s.Page.Window.Total},
			RecordCount: len(s.Page.Records), Records: []recordJSON{}, Warnings: []string{}, Refused: []refusalJSON{}}
		sj.NextPage, sj.NextIsSelf = nextPage(pg.URL, s.Page.Next, prof.PageParam)
		for _, r := range s.Page.Records {
			sj.Records = append(sj.Records, recordJSON{r.URL, r.Title, r.DateText, r.Date, r.Summary})
		}
		sj.Warnings = append(sj.Warnings, s.Page.Warnings...)
		for _, r := range s.Refused {
			sj.Refused = append(sj.Refused, refusalJSON{What: r.What, Why: r.Why})
		}
		out.Records = max(out.Records, len(s.Page.Records))
		out.Strategies = append(out.Strategies, sj)
	}
	return out
}

// nextPage tells the page numbering a next link implies: the query parameter
// whose number it changes (the profile's page parameter first), and whether
// it points back to the page itself.
func nextPage(pageURL, next, param string) (*nextPageJSON, bool) {
	if next == "" {
		return nil, false
	}
	cur, err1 := url.Parse(pageURL)
	nu, err2 := url.Parse(next)
	if err1 != nil || err2 != nil {
		return nil, false
	}
	a, _ := harvest.CanonicalURL(nil, pageURL)
	b, _ := harvest.CanonicalURL(nil, next)
	self := a != "" && a == b
	cq, nq := cur.Query(), nu.Query()
	keys := make([]string, 0, len(nq))
	for k := range nq {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if param != "" {
		keys = append([]string{param}, keys...)
	}
	for _, k := range keys {
		n, err := strconv.Atoi(nq.Get(k))
		if err != nil || (cq.Has(k) && cq.Get(k) == nq.Get(k) && !self) {
			continue
		}
		return &nextPageJSON{Param: k, Number: n}, self
	}
	return nil, self
}

// writeProbe prints the report for a person at a terminal.
func writeProbe(w io.Writer, r probeJSON, width int) {
	fmt.Fprintf(w, "Probe of %s\n", r.URL)
	if r.Source == "file" {
		fmt.Fprintf(w, "  read from a file, decoded as %s", r.Charset)
	} else {
		fmt.Fprintf(w, "  HTTP %d, decoded as %s", r.Status, r.Charset)
	}
	if r.InvalidBytes > 0 {
		fmt.Fprintf(w, " (%d invalid bytes replaced)", r.InvalidBytes)
	}
	fmt.Fprintln(w)
	if r.Challenge {
		fmt.Fprintln(w, "  the page looks like a bot challenge (the site is refusing automated access)")
	}
	for _, s := range r.Strategies {
		fmt.Fprintf(w, "\n== %s: %d records", s.Name, s.RecordCount)
		if s.RecordCount > 0 && s.Name != "auto" && s.FoundBy != "profile" {
			fmt.Fprintf(w, " (found by %s: the profile's selectors found none)", s.FoundBy)
		}
		fmt.Fprintln(w)
		if s.Error != "" {
			fmt.Fprintf(w, "  error:   %s\n", s.Error)
		}
		if s.Window.Total > 0 {
			fmt.Fprintf(w, "  results: %d - %d of %d (total %d)\n", s.Window.First, s.Window.Last, s.Window.Total, s.Window.Total)
		} else {
			fmt.Fprintln(w, "  results: no results line")
		}
		switch {
		case s.Next == "":
			fmt.Fprintln(w, "  next:    none (last page, or no pager found)")
		case s.NextIsSelf:
			fmt.Fprintf(w, "  next:    %s (the page itself: a pager that loops)\n", s.Next)
		case s.NextPage != nil:
			fmt.Fprintf(w, "  next:    %s (%s=%d)\n", s.Next, s.NextPage.Param, s.NextPage.Number)
		default:
			fmt.Fprintf(w, "  next:    %s (no page number in it)\n", s.Next)
		}
		for i, rec := range s.Records {
			date := rec.DateText
			switch {
			case date == "":
				date = "(no date)"
			case rec.Date == "":
				date += " -> (not read)"
			default:
				date += " -> " + rec.Date
			}
			fmt.Fprintf(w, "  %3d. %s\n", i+1, cut(date, width-7))
			fmt.Fprintf(w, "       %s\n", cut(rec.Title, width-7))
			if rec.Summary != "" {
				fmt.Fprintf(w, "       %s\n", cut(rec.Summary, width-7))
			}
			fmt.Fprintf(w, "       %s\n", rec.URL)
		}
		for _, warn := range s.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", warn)
		}
		for _, ref := range s.Refused {
			fmt.Fprintf(w, "  refused: %s: %s\n", ref.What, ref.Why)
		}
	}
	if r.Records == 0 {
		fmt.Fprintf(w, "\nNo records found by any strategy: %s.\n", noRecordsWhy(r))
	}
}

// cut shortens s to n runes, ending in "…" when it was longer.
func cut(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}
