package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/parser"
)

// probeReport is the part of `harvest probe --json` the tests read.
type probeReport struct {
	URL        string `json:"url"`
	Records    int    `json:"records"`
	Strategies []struct {
		Name     string `json:"name"`
		Next     string `json:"next"`
		NextPage *struct {
			Param  string `json:"param"`
			Number int    `json:"number"`
		} `json:"next_page"`
		Window struct {
			First, Last, Total int
		} `json:"window"`
		RecordCount int `json:"record_count"`
		Records     []struct {
			URL, Title, Summary string
			DateText            string `json:"date_text"`
			Date                string `json:"date"`
		} `json:"records"`
	} `json:"strategies"`
}

// savePage writes a fixture page, or a page the fixture server serves, into dir.
func savePage(t *testing.T, dir, name string, body []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func sitePage(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fixtures.Pages.ReadFile("site/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func httpGet(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func startServer(t *testing.T, s *fixtures.Server) *fixtures.Server {
	t.Helper()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// `harvest probe` shows, for the profile and for auto, the records of one
// listing page (title, date as shown and normalised), its results line, and
// the next link with the page number it implies; read from a saved file or
// fetched from the fixture server.
func TestProbeFindsRecords(t *testing.T) {
	wilson := fixtures.WilsonResults81()
	table := startServer(t, func() *fixtures.Server {
		s := fixtures.NewServer(fixtures.NewArchive(120, 4))
		s.Style = "table"
		return s
	}())
	plain := startServer(t, fixtures.NewServer(fixtures.NewArchive(120, 4)))
	moved := startServer(t, func() *fixtures.Server {
		s := fixtures.NewServer(fixtures.NewArchive(30, 4))
		s.Redirect = true
		return s
	}())
	locked := startServer(t, func() *fixtures.Server {
		s := fixtures.NewServer(fixtures.NewArchive(30, 4))
		s.BasicAuth = "archivist:s3cret-pw"
		return s
	}())
	tableDocs := table.Archive.Docs()

	type first struct{ URL, Title, DateText, Date string }
	tests := []struct {
		name       string
		args       func(dir string) []string
		strategies []string // names, in order
		records    int      // found by auto (and by the profile when it has one)
		first      first    // auto's first record
		next       string   // the next link
		nextParam  string
		nextNumber int
		total      int
		hidden     string // a string that must appear nowhere in the output
	}{
		{
			name: "table listing, saved",
			args: func(dir string) []string {
				return []string{"--file", savePage(t, dir, "table.html", httpGet(t, table.ListingURL(8))), "--url", "https://digitalarchive.wilsoncenter.org/search?page=8"}
			},
			strategies: []string{"wilson", "auto"}, records: 10,
			first: first{"https://digitalarchive.wilsoncenter.org/document/" + wilson[0].Slug, wilson[0].Title, wilson[0].DateText, wilson[0].Date},
			next:  "https://digitalarchive.wilsoncenter.org/search?page=9", nextParam: "page", nextNumber: 9, total: 120,
		},
		{
			name:       "table listing, over HTTP",
			args:       func(string) []string { return []string{table.ListingURL(1)} },
			strategies: []string{"auto"}, records: 10,
			first: first{table.DocURL(tableDocs[10]), tableDocs[10].Title, tableDocs[10].DateText, tableDocs[10].Date},
			next:  table.URL + "/search?page=2", nextParam: "page", nextNumber: 2, total: 120,
		},
		{
			name:       "table listing over HTTP with the wilson profile",
			args:       func(string) []string { return []string{table.ListingURL(0), "--profile", "wilson"} },
			strategies: []string{"wilson", "auto"}, records: 10,
			first: first{table.DocURL(tableDocs[0]), tableDocs[0].Title, tableDocs[0].DateText, tableDocs[0].Date},
			next:  table.URL + "/search?page=1", nextParam: "page", nextNumber: 1, total: 120,
		},
		{
			name: "the Wilson Center's saved page 8",
			args: func(dir string) []string {
				return []string{"--file", savePage(t, dir, "p8.html", sitePage(t, "wilson-search-page-8.html")), "https://digitalarchive.wilsoncenter.org/search?page=8"}
			},
			strategies: []string{"wilson", "auto"}, records: 10,
			first: first{"https://digitalarchive.wilsoncenter.org/document/" + wilson[0].Slug, wilson[0].Title, wilson[0].DateText, wilson[0].Date},
			next:  "https://digitalarchive.wilsoncenter.org/search?page=9", nextParam: "page", nextNumber: 9, total: 286,
		},
		{
			name:       "the Wilson listing over HTTP, page 8",
			args:       func(string) []string { return []string{plain.ListingURL(8), "--profile", "wilson"} },
			strategies: []string{"wilson", "auto"}, records: 10,
			first: first{plain.DocURL(wilson[0]), wilson[0].Title, wilson[0].DateText, wilson[0].Date},
			next:  plain.URL + "/search?page=9", nextParam: "page", nextNumber: 9, total: 120,
		},
		{
			name: "cards (another archive's markup, a pager of numbers)",
			args: func(dir string) []string {
				return []string{"--file", savePage(t, dir, "cards.html", sitePage(t, "cards.html")), "--url", "https://collections.example.edu/archive/search?q=politburo&p=6"}
			},
			strategies: []string{"auto"}, records: 4,
			first: first{"https://collections.example.edu/archive/items/1021", "Minutes of the Politburo, 12 March 1953", "March 12, 1953", "1953-03-12"},
			next:  "https://collections.example.edu/archive/search?q=politburo&p=7", nextParam: "p", nextNumber: 7, total: 47,
		},
		{
			name: "an undated list with an ordinary pager",
			args: func(dir string) []string {
				return []string{"--file", savePage(t, dir, "undated.html", sitePage(t, "undated-pamphlets.html")), "--url", "https://library.example.org/pamphlets?page=2"}
			},
			strategies: []string{"auto"}, records: 6,
			first: first{"https://library.example.org/pamphlets/what-is-to-be-done-leeds", "What Is to Be Done? (Leeds edition)", "", ""},
			next:  "https://library.example.org/pamphlets?page=3", nextParam: "page", nextNumber: 3, total: 40,
		},
		{
			name: "a markup no fixture uses (a definition list)",
			args: func(dir string) []string {
				return []string{"--file", savePage(t, dir, "dl.html", sitePage(t, "definition-list.html")), "--url", "https://records.example.gov/fonds/ministry/series-3"}
			},
			strategies: []string{"auto"}, records: 5,
			first: first{"https://records.example.gov/item/ms-14-3-1", "Letter from the Minister to the Governor", "14 February 1962", "1962-02-14"},
			total: 5,
		},
		{
			name:       "a listing that redirects: records resolve against the final URL",
			args:       func(string) []string { return []string{moved.ListingURL(0)} },
			strategies: []string{"auto"}, records: 10,
			first: first{moved.DocURL(moved.Archive.Docs()[0]), moved.Archive.Docs()[0].Title, moved.Archive.Docs()[0].DateText, moved.Archive.Docs()[0].Date},
			next:  moved.URL + "/en/search?page=1", nextParam: "page", nextNumber: 1, total: 30,
		},
		{
			name: "credentials in the URL are sent, and shown nowhere",
			args: func(string) []string {
				return []string{strings.Replace(locked.ListingURL(0), "http://", "http://archivist:s3cret-pw@", 1)}
			},
			strategies: []string{"auto"}, records: 10,
			first: first{locked.DocURL(locked.Archive.Docs()[0]), locked.Archive.Docs()[0].Title, locked.Archive.Docs()[0].DateText, locked.Archive.Docs()[0].Date},
			next:  locked.URL + "/search?page=1", nextParam: "page", nextNumber: 1, total: 30,
			hidden: "s3cret-pw",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"probe"}, tt.args(dir)...)
			code, stdout, stderr := run(t, dir, append(args, "--json")...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			var r probeReport
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("--json output does not parse: %v\n%s", err, stdout)
			}
			var names []string
			for _, s := range r.Strategies {
				names = append(names, s.Name)
			}
			if diff := cmp.Diff(tt.strategies, names); diff != "" {
				t.Fatalf("strategies (-want +got):\n%s", diff)
			}
			for _, s := range r.Strategies {
				if s.RecordCount != tt.records || len(s.Records) != tt.records {
					t.Errorf("%s: %d records, want %d", s.Name, s.RecordCount, tt.records)
				}
				if s.Window.Total != tt.total {
					t.Errorf("%s: total %d, want %d", s.Name, s.Window.Total, tt.total)
				}
				if s.Next != tt.next {
					t.Errorf("%s: next %q, want %q", s.Name, s.Next, tt.next)
				}
				if tt.next != "" && (s.NextPage == nil || s.NextPage.Param != tt.nextParam || s.NextPage.Number != tt.nextNumber) {
					t.Errorf("%s: next page %+v, want %s=%d", s.Name, s.NextPage, tt.nextParam, tt.nextNumber)
				}
			}
			auto := r.Strategies[len(r.Strategies)-1]
			if len(auto.Records) > 0 {
				got := auto.Records[0]
				if diff := cmp.Diff(tt.first, first{got.URL, got.Title, got.DateText, got.Date}); diff != "" {
					t.Errorf("auto's first record (-want +got):\n%s", diff)
				}
			}

			// The text report says the same for a person.
			code, text, stderr := run(t, dir, args...)
			if code != 0 {
				t.Fatalf("text: exit %d\n%s", code, stderr)
			}
			for _, want := range []string{tt.first.Title, tt.next} {
				if want != "" && !strings.Contains(text, cut(want, 93)) {
					t.Errorf("text report does not show %q:\n%s", want, text)
				}
			}
			if tt.nextParam != "" && !strings.Contains(text, "("+tt.nextParam+"=") {
				t.Errorf("text report does not show the page number of the next link:\n%s", text)
			}
			if tt.hidden != "" && strings.Contains(stdout+stderr+text, tt.hidden) {
				t.Errorf("the output shows %q", tt.hidden)
			}
		})
	}
}

// The text report cuts titles and summaries to --width.
func TestProbeTextCutsToWidth(t *testing.T) {
	dir := t.TempDir()
	page := savePage(t, dir, "p8.html", sitePage(t, "wilson-search-page-8.html"))
	code, text, stderr := run(t, dir, "probe", "--file", page, "--url", "https://digitalarchive.wilsoncenter.org/search?page=8", "--width", "60")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "Ivanov speaks") && len([]rune(line)) > 60 {
			t.Errorf("summary line of %d columns, want at most 60: %q", len([]rune(line)), line)
		}
	}
	if !strings.Contains(text, "December 7, 1955 -> 1955-12-07") {
		t.Errorf("date not shown as printed and normalised:\n%s", text)
	}
}

// --json has the documented keys, at the top and in each strategy, and no others.
func TestProbeJSONKeys(t *testing.T) {
	dir := t.TempDir()
	page := savePage(t, dir, "p8.html", sitePage(t, "wilson-search-page-8.html"))
	code, stdout, stderr := run(t, dir, "probe", "--file", page, "--url", "https://digitalarchive.wilsoncenter.org/search?page=8", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		sort.Strings(k)
		return k
	}
	want := []string{"challenge", "charset", "invalid_bytes", "profile", "records", "source", "status", "strategies", "url"}
	if diff := cmp.Diff(want, keys(r)); diff != "" {
		t.Errorf("top-level keys (-want +got):\n%s", diff)
	}
	strategies, _ := r["strategies"].([]any)
	if len(strategies) != 2 {
		t.Fatalf("%d strategies, want 2", len(strategies))
	}
	for _, s := range strategies {
		s := s.(map[string]any)
		want := []string{"error", "found_by", "name", "next", "next_is_self", "next_page", "record_count", "records", "refused", "warnings", "window"}
		if diff := cmp.Diff(want, keys(s)); diff != "" {
			t.Errorf("%v: strategy keys (-want +got):\n%s", s["name"], diff)
		}
		recs := s["records"].([]any)
		if diff := cmp.Diff([]string{"date", "date_text", "summary", "title", "url"}, keys(recs[0].(map[string]any))); diff != "" {
			t.Errorf("record keys (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"first", "last", "total"}, keys(s["window"].(map[string]any))); diff != "" {
			t.Errorf("window keys (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"number", "param"}, keys(s["next_page"].(map[string]any))); diff != "" {
			t.Errorf("next_page keys (-want +got):\n%s", diff)
		}
	}
}

// --suggest writes a profile that --profile (and parser.LoadProfile) reads,
// and that finds what auto found.
func TestProbeSuggest(t *testing.T) {
	for _, name := range []string{"cards.html", "undated-pamphlets.html", "definition-list.html", "wilson-search-page-8.html"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			page := savePage(t, dir, "page.html", sitePage(t, name))
			const u = "https://archive.example.org/list?page=2"
			code, _, stderr := run(t, dir, "probe", "--file", page, "--url", u, "--suggest", "suggested.json")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			path := filepath.Join(dir, "suggested.json")
			if _, err := parser.LoadProfile(path); err != nil {
				t.Fatalf("the suggested profile does not load: %v", err)
			}
			code, stdout, stderr := run(t, dir, "probe", "--file", page, "--url", u, "--profile", path, "--json")
			if code != 0 {
				t.Fatalf("probe with the suggested profile: exit %d\n%s", code, stderr)
			}
			var r probeReport
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatal(err)
			}
			if len(r.Strategies) != 2 || r.Strategies[0].RecordCount != r.Strategies[1].RecordCount || r.Strategies[0].RecordCount == 0 {
				t.Errorf("the suggested profile and auto disagree: %+v", r.Strategies)
			}

			// "-": standard output holds the profile alone.
			code, stdout, stderr = run(t, dir, "probe", "--file", page, "--url", u, "--suggest", "-")
			var p map[string]any
			if err := json.Unmarshal([]byte(stdout), &p); code != 0 || err != nil || p["name"] == nil {
				t.Errorf("--suggest -: exit %d, %v, output:\n%s\n%s", code, err, stdout, stderr)
			}
		})
	}
}

// Exit codes, as the rest of the CLI: 2 for a command line that cannot run,
// 1 for an error (a fetch that failed, robots.txt, a bot challenge), 3 for a
// page with no records under either strategy.
func TestProbeExitCodes(t *testing.T) {
	srv := startServer(t, func() *fixtures.Server {
		s := fixtures.NewServer(fixtures.NewArchive(30, 4))
		s.Robots = "User-agent: *\nDisallow: /search\n"
		return s
	}())
	write := func(name string) func(t *testing.T, dir string) string {
		return func(t *testing.T, dir string) string { return savePage(t, dir, name, sitePage(t, name)) }
	}
	tests := []struct {
		name     string
		page     func(t *testing.T, dir string) string // a saved page, for --file
		args     []string
		code     int
		stderrRe string
		stdoutRe string
	}{
		{name: "no URL", args: []string{"probe"}, code: 2, stderrRe: "URL"},
		{name: "two URLs", args: []string{"probe", "https://a.example/x", "https://b.example/y"}, code: 2, stderrRe: "one URL"},
		{name: "not http", args: []string{"probe", "ftp://a.example/x"}, code: 2, stderrRe: "not an http"},
		{name: "file without URL", page: write("cards.html"), args: []string{"probe"}, code: 2, stderrRe: "--url"},
		{name: "suggest - with json", args: []string{"probe", "https://a.example/x", "--suggest", "-", "--json"}, code: 2, stderrRe: "standard output"},
		{name: "unknown profile", page: write("cards.html"), args: []string{"probe", "--url", "https://a.example/x", "--profile", "nope"}, code: 2, stderrRe: "no profile"},
		{name: "missing file", args: []string{"probe", "--file", "missing.html", "--url", "https://a.example/x"}, code: 1, stderrRe: "missing.html"},
		{name: "robots.txt disallows", args: []string{"probe", srv.ListingURL(0)}, code: 1, stderrRe: "robots.txt"},
		{name: "robots.txt ignored", args: []string{"probe", srv.ListingURL(0), "--ignore-robots"}, code: 0},
		{name: "HTTP 404", args: []string{"probe", srv.URL + "/nowhere", "--ignore-robots"}, code: 1, stderrRe: "404"},
		{name: "bot challenge", page: write("challenge.html"), args: []string{"probe", "--url", "https://a.example/search"}, code: 1, stderrRe: "refusing automated access"},
		{name: "content but no records", page: write("maintenance.html"), args: []string{"probe", "--url", "https://a.example/search"}, code: 3,
			stderrRe: "no records", stdoutRe: "No records found by any strategy"},
		{name: "a page that says it has no results", page: write("empty-results.html"), args: []string{"probe", "--url", "https://a.example/search"}, code: 3,
			stderrRe: "says it has no results", stdoutRe: "No records found by any strategy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := tt.args
			if tt.page != nil {
				args = append(args, "--file", tt.page(t, dir))
			}
			code, stdout, stderr := run(t, dir, args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.stderrRe) {
				t.Errorf("stderr does not say %q:\n%s", tt.stderrRe, stderr)
			}
			if !strings.Contains(stdout, tt.stdoutRe) {
				t.Errorf("stdout does not say %q:\n%s", tt.stdoutRe, stdout)
			}
		})
	}
}

// One GET with the harvest User-Agent (after robots.txt), nothing else.
func TestProbeIsPolite(t *testing.T) {
	srv := startServer(t, fixtures.NewServer(fixtures.NewArchive(30, 4)))
	if code, _, stderr := run(t, t.TempDir(), "probe", srv.ListingURL(1)); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	log := srv.Log()
	var uris []string
	for _, h := range log {
		uris = append(uris, h.URI)
		if ua := h.Headers.Get("User-Agent"); !strings.HasPrefix(ua, "harvest/") {
			t.Errorf("%s sent with User-Agent %q", h.URI, ua)
		}
	}
	if diff := cmp.Diff([]string{"/robots.txt", "/search?page=1"}, uris); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}
