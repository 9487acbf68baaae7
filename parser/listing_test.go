package parser

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/fixtures"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func mustProfile(t testing.TB, name string) Profile {
	t.Helper()
	p, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func readPage(t testing.TB, name string) []byte {
	t.Helper()
	b, err := fixtures.Pages.ReadFile("site/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The saved Wilson Center page "81 - 90 of 286" parses, with the wilson profile
// and with auto, to exactly the ten documents it shows.
func TestParseListingWilsonPage(t *testing.T) {
	const pageURL = "https://digitalarchive.wilsoncenter.org/search?page=8"
	var want []harvest.Record
	for _, d := range fixtures.WilsonResults81() {
		want = append(want, harvest.Record{
			URL:        "https://digitalarchive.wilsoncenter.org" + d.Path(),
			Title:      d.Title,
			Date:       d.Date,
			DateText:   d.DateText,
			Summary:    d.Summary,
			ListingURL: pageURL,
		})
	}
	for _, tt := range []struct{ profile, strategy string }{{"wilson", "profile"}, {"auto", "auto"}} {
		t.Run(tt.profile, func(t *testing.T) {
			page, err := ParseListing(readPage(t, "wilson-search-page-8.html"), pageURL, mustProfile(t, tt.profile))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, page.Records); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if page.Window != (harvest.Window{First: 81, Last: 90, Total: 286}) {
				t.Errorf("window = %+v, want 81 - 90 of 286", page.Window)
			}
			if want := "https://digitalarchive.wilsoncenter.org/search?page=9"; page.Next != want {
				t.Errorf("next = %q, want %q", page.Next, want)
			}
			if page.Strategy != tt.strategy {
				t.Errorf("strategy = %q, want %q", page.Strategy, tt.strategy)
			}
			if len(page.Warnings) != 0 {
				t.Errorf("warnings: %q", page.Warnings)
			}
		})
	}
}

// Every hand-written page parses to its golden records with each profile.
// Run with -update to rewrite testdata/listing/*.json, then read the diff.
func TestParseListingGolden(t *testing.T) {
	tests := []struct {
		page, url string
		profiles  []string
	}{
		{"wilson-search-page-8.html", "https://digitalarchive.wilsoncenter.org/search?page=8", []string{"wilson", "auto", "drupal"}},
		{"drupal-views.html", "https://papers.example.org/documents?page=2", []string{"drupal", "auto"}},
		{"flat-list.html", "https://letters.example.org/items/browse", []string{"auto", "drupal"}},
		{"broken-markup.html", "https://digitalarchive.wilsoncenter.org/search", []string{"wilson", "auto"}},
		{"cards.html", "https://collections.example.edu/archive/search?q=politburo&p=6", []string{"auto"}},
		{"wilson-table.html", "https://digitalarchive.wilsoncenter.org/search?page=8", []string{"wilson", "auto"}},
		{"broken-rows.html", "https://records.example.gov/press", []string{"auto"}},
	}
	for _, tt := range tests {
		for _, prof := range tt.profiles {
			name := strings.TrimSuffix(tt.page, ".html") + "." + prof
			t.Run(name, func(t *testing.T) {
				page, err := ParseListing(readPage(t, tt.page), tt.url, mustProfile(t, prof))
				if err != nil {
					t.Fatal(err)
				}
				got, _ := json.MarshalIndent(page, "", "  ")
				golden := filepath.Join("testdata", "listing", name+".json")
				if *update {
					if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update)", err)
				}
				var wantPage harvest.ListingPage
				if err := json.Unmarshal(want, &wantPage); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(wantPage, page); diff != "" {
					t.Errorf("page (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestParseListingNoRecords(t *testing.T) {
	tests := []struct {
		page    string
		wantErr error
	}{
		{"empty-results.html", nil},
		{"maintenance.html", harvest.ErrNoRecords},
		{"challenge.html", harvest.ErrChallenge},
	}
	for _, tt := range tests {
		for _, prof := range []string{"wilson", "auto"} {
			t.Run(tt.page+"/"+prof, func(t *testing.T) {
				const u = "https://digitalarchive.wilsoncenter.org/search?page=3"
				page, err := ParseListing(readPage(t, tt.page), u, mustProfile(t, prof))
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if err != nil && !strings.Contains(err.Error(), u) {
					t.Errorf("error %q does not name the page", err)
				}
				if len(page.Records) != 0 {
					t.Errorf("got %d records, want none", len(page.Records))
				}
			})
		}
	}
}

// No input makes the parser panic.
func FuzzParseListing(f *testing.F) {
	for _, name := range []string{"wilson-search-page-8.html", "drupal-views.html", "flat-list.html", "broken-markup.html", "challenge.html"} {
		b, _ := fixtures.Pages.ReadFile("site/" + name)
		f.Add(b)
	}
	f.Add([]byte("<table><tr><td class=document><a href=/document/x>1955</a><div class=date>c. 1956?"))
	auto, _ := Lookup("auto")
	wilson, _ := Lookup("wilson")
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, p := range []Profile{auto, wilson} {
			page, _ := ParseListing(body, "https://digitalarchive.wilsoncenter.org/search?page=1", p)
			for _, r := range page.Records {
				if r.URL == "" {
					t.Fatalf("record without URL: %+v", r)
				}
			}
		}
	})
}

// A profile whose selectors meet some other list (here a sidebar) gives way to
// auto when auto finds what the results line states.
func TestProfileCheckedAgainstResultsLine(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<html><body><aside><h2>Recently added</h2>`)
	for i := 0; i < 3; i++ {
		fmt.Fprintf(&b, `<div class="views-row"><a href="/document/new-%d">New document %d</a></div>`, i, i)
	}
	b.WriteString(`</aside><main><p>1 - 5 of 5</p><ul class="results">`)
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&b, `<li><span>May %d, 1956</span> <a href="/document/doc-%d">Telegram number %d</a><p>Summary of telegram %d.</p></li>`, i+1, i, i, i)
	}
	b.WriteString(`</ul></main></body></html>`)
	page, err := ParseListing([]byte(b.String()), "https://digitalarchive.wilsoncenter.org/search", mustProfile(t, "wilson"))
	if err != nil {
		t.Fatal(err)
	}
	if page.Strategy != "auto" || len(page.Records) != 5 || page.Records[0].URL != "https://digitalarchive.wilsoncenter.org/document/doc-0" || page.Records[4].Date != "1956-05-05" {
		t.Errorf("strategy %s, records %+v", page.Strategy, page.Records)
	}
	if len(page.Warnings) != 1 || !strings.Contains(page.Warnings[0], "found 3 records where the page states 5") {
		t.Errorf("warnings %q", page.Warnings)
	}
}

// A profile whose record block is the title cell alone reads the row around
// it: the date and summary cells are not dropped.
func TestProfileTitleOnlyBlockWidened(t *testing.T) {
	p, err := Profile{Name: "cell", Records: []string{"td.document"}, DocumentPath: "^/document/"}.compile()
	if err != nil {
		t.Fatal(err)
	}
	page, err := ParseListing(readPage(t, "wilson-table.html"), "https://digitalarchive.wilsoncenter.org/search?page=8", p)
	if err != nil {
		t.Fatal(err)
	}
	if page.Strategy != "profile" || len(page.Records) != 10 {
		t.Fatalf("strategy %s, %d records", page.Strategy, len(page.Records))
	}
	for _, r := range page.Records {
		if r.Date == "" || r.DateText == "" || r.Summary == "" {
			t.Errorf("record with a field missing: %+v", r)
		}
	}
}

// Next links labelled in other languages, by a symbol with a title, by
// aria-label or hidden text are found.
func TestNextLabels(t *testing.T) {
	for _, link := range []string{
		`<a href="/list?page=3">След.</a>`,
		`<a href="/list?page=3">Следующая →</a>`,
		`<a href="/list?page=3">下一页</a>`,
		`<a href="/list?page=3">Suivant »</a>`,
		`<a href="/list?page=3">Successivo</a>`,
		`<a href="/list?page=3">Próxima</a>`,
		`<a href="/list?page=3" title="Next">»</a>`,
		`<a href="/list?page=3" aria-label="Next"><i class="icon"></i></a>`,
		`<a href="/list?page=3"><span class="sr-only">Next page</span><i class="fa fa-chevron-right"></i></a>`,
		`<a href="/list?page=3" rel="next"><i></i></a>`,
	} {
		body := `<html><body><main><p>Some records</p></main><div class="paging"><a href="/list?page=1">1</a> ` + link + `</div></body></html>`
		page, _ := ParseListing([]byte(body), "https://example.org/list?page=2", mustProfile(t, "auto"))
		if page.Next != "https://example.org/list?page=3" {
			t.Errorf("%s: next = %q", link, page.Next)
		}
	}
}

// A "no results" page with a captcha in its search form is an empty
// listing, not a bot challenge; a captcha that is the page is one. A record
// summary that says "yielded no results" does not make a page empty.
func TestChallengeAndEmpty(t *testing.T) {
	const u = "https://example.org/search?q=x"
	noResults := `<html><body><header><a href="/">Archive</a></header><main><h1>Search</h1>
<form action="/search"><input name="q"><div class="g-recaptcha" data-sitekey="abc"></div><button>Search</button></form>
<p class="empty">Your search yielded no results.</p></main></body></html>`
	if IsChallenge([]byte(noResults)) {
		t.Error("no-results page with a captcha form taken for a challenge")
	}
	if _, err := ParseListing([]byte(noResults), u, mustProfile(t, "auto")); err != nil {
		t.Errorf("no-results page: %v", err)
	}
	wall := `<html><body><div class="wrap"><h1>One more step</h1><div class="g-recaptcha" data-sitekey="abc"></div></div></body></html>`
	if !IsChallenge([]byte(wall)) {
		t.Error("captcha wall not taken for a challenge")
	}
	// No records found (no link to a document), but a paragraph saying "no results" among long text.
	body := `<html><body><main><div><p>The committee's search of the files in 1957 yielded no results, as the report explains at length in its second part, written by the secretary who had kept them since the war and who remembered every folder.</p></div></main></body></html>`
	if _, err := ParseListing([]byte(body), u, mustProfile(t, "auto")); !errors.Is(err, harvest.ErrNoRecords) {
		t.Errorf("err = %v, want ErrNoRecords", err)
	}
}

// A record whose link is its number ("No. 12", "2015-03") or a file
// ("PDF") is titled by the words beside the link: a cell, a <b>.
func TestTitleBesideNumberLink(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<html><body><main><table><tbody>`)
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(&b, `<tr><td>0%d/1%d/2024</td><td><a href="/files/op-%d.pdf">2024-0%d</a></td><td>Smith v. Jones number %d</td></tr>`, i, i, i, i, i)
	}
	b.WriteString(`</tbody></table><ul>`)
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(&b, `<li><a href="/notice?id=%d">No. %d</a> <b>Notice of the council %d</b> <span>March %d, 2021</span></li>`, i, i, i, i)
	}
	b.WriteString(`</ul></main></body></html>`)
	page, err := ParseListing([]byte(b.String()), "https://court.example.org/opinions", mustProfile(t, "auto"))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range page.Records {
		if !strings.HasPrefix(r.Title, "Smith v. Jones number ") || r.DateText == "" {
			t.Errorf("record %d: %+v", i, r)
		}
	}
	for _, s := range []string{"23-1701P.01A", "2026 TSPR 10", "No. 12", "PDF", "[PDF]", "view/download"} {
		if !poorTitle(s) {
			t.Errorf("poorTitle(%q) = false", s)
		}
	}
	for _, s := range []string{"Kommunalwahlen 2013", "KOENIG v. LONDON, 2021 S.D. 69", "LandesPARTEItag 2014", "Read more"} {
		if poorTitle(s) {
			t.Errorf("poorTitle(%q) = true", s)
		}
	}
}

// Records that link to the listing's own path by an id in the query are
// records; the pager's links on that path are not.
func TestRecordLinksByQuery(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<html><body><main><ul>`)
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(&b, `<li><a href="/notices?id=%d">Notice of the council on roads %d</a> <span>March %d, 2021</span></li>`, i, i, i)
	}
	b.WriteString(`</ul><div class="pagination"><a href="/notices?page=2">2</a></div></main></body></html>`)
	page, err := ParseListing([]byte(b.String()), "https://town.example.org/notices", mustProfile(t, "auto"))
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 3 || page.Records[2].URL != "https://town.example.org/notices?id=3" || page.Records[2].DateText != "March 3, 2021" {
		t.Errorf("records %+v", page.Records)
	}
}
