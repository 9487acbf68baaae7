package serve

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/export"
	"github.com/harvest-archive/harvest/files"
	"github.com/harvest-archive/harvest/store"
	"github.com/harvest-archive/harvest/warc"
)

// perPage is how many hits a page of results shows.
const perPage = 20

// page is what the layout needs of every page.
type page struct {
	Title   string // the <title> and the page's h1
	Query   string // the search box's text
	Notice  string // a note shown at the top of every page (an old database)
	DBPath  string
	Version string
	Search  bool // the page has its own search form (the layout's is left out)
	Data    any  // the page's own content
}

func (s *Server) page(title string, data any) page {
	p := page{Title: title, DBPath: s.cfg.DBPath, Version: harvest.Version, Data: data}
	if !s.cfg.DB.HasSearchIndex() {
		p.Notice = fmt.Sprintf("This database has no search index yet (its schema is older than version %d). Search matches words as plain text, unranked, and the counts are slower. Run `harvest crawl` on it once with this harvest to upgrade it; serve itself never writes.", store.SearchVersion)
	}
	return p
}

// render writes the page named name with status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	var buf bytes.Buffer
	if err := s.pages[name].Execute(&buf, p); err != nil {
		s.log.Error("render page", "page", name, "url", r.URL.String(), "err", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail shows an error page; a server-side error is logged with the request.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	if status >= 500 {
		if errors.Is(err, context.Canceled) {
			return // the browser went away
		}
		s.log.Error("request failed", "url", r.URL.String(), "err", err)
	}
	p := s.page(http.StatusText(status), err.Error())
	s.render(w, r, status, "error", p)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, http.StatusNotFound, fmt.Errorf("no page at %s", r.URL.Path))
}

// overviewData is the front page.
type overviewData struct {
	store.Overview
	Chart     chart
	Progress  []store.Progress
	Now       time.Time
	Documents int                // records with their document page stored
	Subjects  []store.FacetCount // the largest subjects
	Languages []store.FacetCount
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	o, err := s.cfg.DB.Overview(ctx, 10, 50)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	ps, err := s.cfg.DB.Progress(ctx)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	d := overviewData{Overview: o, Chart: yearChart(o.Years), Progress: ps, Now: s.cfg.Now()}
	if d.Documents, err = s.cfg.DB.DocumentCount(ctx); err == nil && d.Documents > 0 {
		if d.Subjects, err = s.cfg.DB.Facet(ctx, store.FacetSubject, 20); err == nil {
			d.Languages, err = s.cfg.DB.Facet(ctx, store.FacetLanguage, 10)
		}
	}
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	s.render(w, r, http.StatusOK, "overview", s.page("The collection", d))
}

// searchForm is a search as its URL gives it.
type searchForm struct {
	store.SearchQuery
	Page int // 1-based
}

// parseSearch reads a search from the URL's query.
func parseSearch(v url.Values) (searchForm, error) {
	f := searchForm{SearchQuery: store.SearchQuery{
		Text:     strings.TrimSpace(v.Get("q")),
		From:     strings.TrimSpace(v.Get("from")),
		To:       strings.TrimSpace(v.Get("to")),
		Status:   v.Get("status"),
		Since:    strings.TrimSpace(v.Get("since")),
		Sort:     v.Get("sort"),
		Subject:  strings.TrimSpace(v.Get("subject")),
		Person:   strings.TrimSpace(v.Get("person")),
		Place:    strings.TrimSpace(v.Get("place")),
		Language: strings.TrimSpace(v.Get("language")),
	}, Page: 1}
	if p := v.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1_000_000 {
			return f, fmt.Errorf("%w: page %q is not a page number", store.ErrBadQuery, p)
		}
		f.Page = n
	}
	f.Offset, f.Limit = (f.Page-1)*perPage, perPage
	return f, f.Check()
}

// values is the form as URL parameters, without those left empty; page
// is left out.
func (f searchForm) values() url.Values {
	v := url.Values{}
	for _, kv := range [...][2]string{{"q", f.Text}, {"from", f.From}, {"to", f.To}, {"status", f.Status}, {"since", f.Since}, {"sort", f.Sort},
		{"subject", f.Subject}, {"person", f.Person}, {"place", f.Place}, {"language", f.Language}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	return v
}

// Facets reports whether the search filters by a facet of document pages.
func (f searchForm) Facets() bool { return f.Subject+f.Person+f.Place+f.Language != "" }

// URL is the address of this search on another page (0: no page parameter)
// or in another format ("search.csv").
func (f searchForm) URL(path string, pageNo int) string {
	v := f.values()
	if pageNo > 1 {
		v.Set("page", strconv.Itoa(pageNo))
	}
	if len(v) == 0 {
		return "/" + path
	}
	return "/" + path + "?" + v.Encode()
}

// searchData is the search page.
type searchData struct {
	Form     searchForm
	Result   store.SearchResult
	Error    string
	Searched bool // a search was asked (any parameter)
	Unranked bool // relevance was asked for, but there were too many matches to rank
	First    int  // the number of the first hit shown
	Last     int
	Pages    int
	Prev     string
	Next     string
	CSV      string
	JSON     string
	Details  bool // document pages are stored: the facet filters and the downloads with details
	CSVD     string
	CSVSafe  string // the CSV for a spreadsheet (export --spreadsheet-safe)
	JSOND    string
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	f, err := parseSearch(r.URL.Query())
	d := searchData{Form: f, Searched: len(r.URL.Query()) > 0, Details: f.Facets()}
	p := s.page("Search", &d)
	p.Query, p.Search = f.Text, true
	if err != nil {
		d.Error = err.Error()
		s.render(w, r, http.StatusBadRequest, "search", p)
		return
	}
	if d.Result, err = s.cfg.DB.Search(r.Context(), f.SearchQuery); err != nil {
		if errors.Is(err, store.ErrBadQuery) {
			d.Error = err.Error()
			s.render(w, r, http.StatusBadRequest, "search", p)
			return
		}
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	d.Pages = (d.Result.Total + perPage - 1) / perPage
	if len(d.Result.Hits) > 0 {
		d.First = f.Offset + 1
		d.Last = f.Offset + len(d.Result.Hits)
	}
	if f.Page > 1 {
		d.Prev = f.URL("search", min(f.Page-1, max(d.Pages, 1)))
	}
	if f.Page < d.Pages || (d.Result.More && len(d.Result.Hits) == perPage) {
		d.Next = f.URL("search", f.Page+1)
	}
	d.Unranked = f.Text != "" && (f.Sort == "" || f.Sort == store.SortRelevance) && d.Result.FullText && !d.Result.Ranked
	d.CSV, d.JSON = f.URL("search.csv", 0), f.URL("search.json", 0)
	safe := f.values()
	safe.Set("safe", "1")
	d.CSVSafe = "/search.csv?" + safe.Encode()
	if n, err := s.cfg.DB.DocumentCount(r.Context()); err == nil && n > 0 {
		d.Details = true
		v := f.values()
		v.Set("details", "1")
		d.CSVD, d.JSOND = "/search.csv?"+v.Encode(), "/search.json?"+v.Encode()
	}
	if f.Text != "" {
		p.Title = "Search: " + f.Text
	}
	s.render(w, r, http.StatusOK, "search", p)
}

// download writes every record of the search in format (csv or json),
// with the columns and encoders of `harvest export` (with details=1, its
// --details columns).
func (s *Server) download(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, err := parseSearch(r.URL.Query())
		if err == nil {
			err = f.Check()
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ctx := r.Context()
		h := w.Header()
		switch format {
		case "csv":
			h.Set("Content-Type", "text/csv; charset=utf-8")
		default:
			h.Set("Content-Type", "application/json; charset=utf-8")
		}
		details := r.URL.Query().Get("details") == "1"
		name := "harvest-search"
		if details {
			name += "-details"
		}
		h.Set("Content-Disposition", `attachment; filename="`+name+`.`+format+`"`)
		// safe=1: text cells that a spreadsheet would run as a formula
		// are prefixed with ' (export --spreadsheet-safe).
		opt := export.Options{SpreadsheetSafe: r.URL.Query().Get("safe") == "1"}
		if details {
			_, err = export.WriteDetails(ctx, detailSource{s.cfg.DB, f.SearchQuery}, format, w, opt)
		} else {
			_, err = export.WriteRecords(ctx, recordSource{s.cfg.DB, f.SearchQuery}, format, w, opt)
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			// The status may be sent; the log says what broke off.
			s.log.Error("download", "url", r.URL.String(), "err", err)
			if errors.Is(err, store.ErrBadQuery) {
				http.Error(w, err.Error(), http.StatusBadRequest)
			}
		}
	}
}

// recordSource is a search as export's record source.
type recordSource struct {
	db *store.DB
	q  store.SearchQuery
}

func (s recordSource) Records(ctx context.Context, fn func(harvest.Record) error) error {
	return s.db.SearchRecords(ctx, s.q, fn)
}

// detailSource is a search as export's source of records with details.
type detailSource struct {
	db *store.DB
	q  store.SearchQuery
}

func (s detailSource) Details(ctx context.Context, fn func(harvest.Record, *harvest.Document) error) error {
	return s.db.SearchDetails(ctx, s.q, fn)
}

// recordData is a record's page.
type recordData struct {
	Record      harvest.Record
	Document    *harvest.Document
	Attachments []store.Attachment
	Files       bool // an attachments directory is served
	Changes     []harvest.Change
	Captures    []warc.Capture
	WARC        bool   // a WARC directory was given
	WARCErr     string // what went wrong reading it
}

func (s *Server) record(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := r.URL.Query().Get("url")
	if u == "" {
		s.fail(w, r, http.StatusBadRequest, errors.New("which record? the address needs ?url= and the record's URL"))
		return
	}
	rec, ok, err := s.cfg.DB.Record(ctx, u)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	if !ok {
		s.fail(w, r, http.StatusNotFound, fmt.Errorf("no record has the URL %s", u))
		return
	}
	d := recordData{Record: rec, WARC: s.cfg.WARC != "", Files: s.cfg.Files != ""}
	if d.Document, err = s.cfg.DB.Document(ctx, u); err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	if d.Attachments, err = s.cfg.DB.Attachments(ctx, u); err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	err = s.cfg.DB.Changes(ctx, u, func(c harvest.Change) error {
		d.Changes = append(d.Changes, c)
		return nil
	})
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	if d.WARC {
		keep := map[string]bool{rec.URL: true, rec.ListingURL: true}
		err := s.captures(ctx, func(u string) bool { return keep[u] }, func(c warc.Capture) error {
			c.Body = nil // only the list is shown here
			d.Captures = append(d.Captures, c)
			return nil
		})
		if err != nil {
			d.WARCErr = err.Error()
		}
	}
	title := rec.Title
	if title == "" {
		title = rec.URL
	}
	s.render(w, r, http.StatusOK, "record", s.page(title, d))
}

// captures reads the latest good capture of each URL keep accepts, writing
// nothing: files a crashed crawl left open wait for the next crawl.
func (s *Server) captures(ctx context.Context, keep func(string) bool, fn func(warc.Capture) error) error {
	return warc.ReadLatestAsIs(ctx, s.cfg.WARC, keep, fn)
}

// oneCapture finds the latest good capture of u.
func (s *Server) oneCapture(w http.ResponseWriter, r *http.Request) (warc.Capture, bool) {
	if s.cfg.WARC == "" {
		s.fail(w, r, http.StatusNotFound, errors.New("no WARC directory is served (start serve with --warc DIR)"))
		return warc.Capture{}, false
	}
	u := r.URL.Query().Get("url")
	var got *warc.Capture
	err := s.captures(r.Context(), func(v string) bool { return v == u }, func(c warc.Capture) error {
		got = &c
		return nil
	})
	if got == nil {
		if err != nil {
			s.fail(w, r, http.StatusInternalServerError, err)
		} else {
			s.fail(w, r, http.StatusNotFound, fmt.Errorf("no capture of %s in %s", u, s.cfg.WARC))
		}
		return warc.Capture{}, false
	}
	return *got, true
}

// captureData is a capture's page.
type captureData struct {
	Capture warc.Capture
	Body    string
	Binary  bool
	Raw     string
}

func (s *Server) capture(w http.ResponseWriter, r *http.Request) {
	c, ok := s.oneCapture(w, r)
	if !ok {
		return
	}
	d := captureData{Capture: c, Raw: "/capture/raw?" + url.Values{"url": {c.URL}}.Encode()}
	if ct := c.Header.Get("Content-Type"); ct == "" || strings.HasPrefix(ct, "text/") || strings.Contains(ct, "html") || strings.Contains(ct, "json") || strings.Contains(ct, "xml") {
		d.Body = string(bytes.ToValidUTF8(c.Body, []byte("\uFFFD")))
	} else {
		d.Binary = true
	}
	s.render(w, r, http.StatusOK, "capture", s.page("Capture of "+c.URL, d))
}

// captureRaw serves a capture's body as the site sent it (content-encoding
// undone), sandboxed: a captured page's scripts do not run and it can fetch
// nothing.
func (s *Server) captureRaw(w http.ResponseWriter, r *http.Request) {
	c, ok := s.oneCapture(w, r)
	if !ok {
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", sandboxCSP)
	ct := c.Header.Get("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(c.Body)))
	w.Write(c.Body)
}

var sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// file serves an attachment from the files directory by its sha256 (the
// name the crawl gave it, DIR/ab/cdef…), as a download, sandboxed, with
// the content type the manifest recorded.
func (s *Server) file(w http.ResponseWriter, r *http.Request) {
	sum := r.PathValue("sha256")
	if s.cfg.Files == "" {
		s.fail(w, r, http.StatusNotFound, errors.New("no attachments directory is served (start serve with --files DIR)"))
		return
	}
	if !sha256Pattern.MatchString(sum) {
		s.fail(w, r, http.StatusBadRequest, fmt.Errorf("%q is not a sha256 (64 lower-case hex digits)", sum))
		return
	}
	entry, _, err := s.cfg.DB.FileBySHA256(r.Context(), sum)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	dir, err := files.OpenExisting(s.cfg.Files)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	name, err := dir.Path(sum)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	f, err := os.Open(name)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, fmt.Errorf("no file %s in %s", sum, s.cfg.Files))
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		s.fail(w, r, http.StatusNotFound, fmt.Errorf("no file %s in %s", sum, s.cfg.Files))
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", sandboxCSP)
	ct := entry.ContentType
	if ct == "" || strings.ContainsAny(ct, "\r\n") {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", `attachment; filename="`+fileName(entry.URL, sum)+`"`)
	h.Set("Repr-Digest", "sha-256=:"+base64SHA(sum)+":")
	http.ServeContent(w, r, "", st.ModTime(), f)
}

// fileName is a safe download name: the last part of the attachment's URL
// when it is plain (letters, digits, ._-), else the digest.
func fileName(u, sum string) string {
	if p, err := url.Parse(u); err == nil {
		base := path.Base(p.Path)
		if len(base) <= 100 && safeName.MatchString(base) && !strings.HasPrefix(base, ".") {
			return base
		}
	}
	return sum
}

var safeName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// base64SHA is a hex digest in base64, as Repr-Digest writes it.
func base64SHA(sum string) string {
	b, err := hex.DecodeString(sum)
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}

// progress is the crawl progress as JSON, for the front page's script.
func (s *Server) progress(w http.ResponseWriter, r *http.Request) {
	ps, err := s.cfg.DB.Progress(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if ps == nil {
		ps = []store.Progress{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, ps)
}
