package parser

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harvest-archive/harvest"
)

// corpusTruth is a real page's records as a reader sees them.
type corpusTruth struct {
	URL     string `json:"url"`
	Records []struct {
		URL      string `json:"url"`
		Title    string `json:"title"`
		DateText string `json:"date_text"`
	} `json:"records"`
}

type corpusPage struct {
	name  string
	body  []byte
	truth corpusTruth
}

func loadCorpus(tb testing.TB) []corpusPage {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.truth.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no corpus: %v", err)
	}
	var pages []corpusPage
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".truth.json")
		raw, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var tr corpusTruth
		if err := json.Unmarshal(raw, &tr); err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		body, err := os.ReadFile(filepath.Join("testdata", "corpus", name+".html"))
		if err != nil {
			tb.Fatal(err)
		}
		pages = append(pages, corpusPage{name, DecodeHTML(body, "").Body, tr})
	}
	return pages
}

// corpusScore is what auto got right on one page.
type corpusScore struct {
	want, found, matched, exactDate, exactTitle int
}

func scorePage(t testing.TB, p corpusPage, page harvest.ListingPage) corpusScore {
	got := map[string]harvest.Record{}
	for _, r := range page.Records {
		got[r.URL] = r
	}
	s := corpusScore{want: len(p.truth.Records), found: len(page.Records)}
	for _, w := range p.truth.Records {
		u, err := harvest.CanonicalURL(nil, w.URL)
		if err != nil {
			t.Fatalf("%s: truth url %q: %v", p.name, w.URL, err)
		}
		r, ok := got[u]
		if !ok {
			continue
		}
		s.matched++
		if r.DateText == w.DateText {
			s.exactDate++
		}
		if r.Title == w.Title {
			s.exactTitle++
		}
	}
	return s
}

// corpusFloor is what each corpus page must keep: records found of those
// the page shows, records taken that it does not show, exact dates, exact
// titles.
var corpusFloor = map[string]struct{ matched, extra, exactDate, exactTitle int }{
	"wordpress-com-blog": {10, 0, 10, 10}, // the featured first post stands apart
	"die-partei-sh-news": {10, 0, 10, 10},
	"iwr-pressedienst":   {27, 0, 27, 27},
	// Court and government lists saved by juriscraper (see SOURCES.md).
	"bap10-uscourts-search":       {8, 0, 8, 8},
	"ca1-uscourts-opinions":       {19, 0, 19, 19},
	"ca6-uscourts-opinions":       {28, 0, 28, 28},
	"iowa-courts-opinions":        {16, 0, 16, 16},
	"justice-gov-olc-opinions":    {10, 0, 10, 10},
	"maine-sjc-opinions":          {15, 0, 15, 15},
	"mn-law-library-search":       {10, 0, 10, 10},
	"oscn-decisions":              {7, 0, 7, 7},
	"poderjudicial-pr-decisiones": {8, 0, 8, 8},
	"sd-ujs-opinions":             {10, 0, 10, 10},
	"tncourts-supreme-opinions":   {25, 0, 25, 25},
	"vermont-judiciary-opinions":  {25, 0, 25, 25},
}

// The auto strategy on real saved listing pages: per-page recall,
// precision and exact displayed dates, against a floor.
func TestCorpus(t *testing.T) {
	auto := mustProfile(t, "auto")
	t.Logf("%-28s %6s %6s %9s %9s %7s %7s", "page", "want", "found", "recall", "precision", "dates", "titles")
	var sumR, sumP float64
	pages := loadCorpus(t)
	for _, p := range pages {
		page, _ := ParseListing(p.body, p.truth.URL, auto)
		s := scorePage(t, p, page)
		recall, precision := float64(s.matched)/float64(s.want), 1.0
		if s.found > 0 {
			precision = float64(s.matched) / float64(s.found)
		}
		sumR += recall
		sumP += precision
		t.Logf("%-28s %6d %6d %8.0f%% %8.0f%% %3d/%-3d %3d/%-3d", p.name, s.want, s.found, 100*recall, 100*precision, s.exactDate, s.matched, s.exactTitle, s.matched)
		floor, ok := corpusFloor[p.name]
		if !ok {
			t.Errorf("%s: no floor set", p.name)
			continue
		}
		if s.matched < floor.matched || s.found-s.matched > floor.extra || s.exactDate < floor.exactDate || s.exactTitle < floor.exactTitle {
			t.Errorf("%s: %d of %d records (floor %d), %d extra (at most %d), %d exact dates (floor %d), %d exact titles (floor %d)", p.name, s.matched, s.want, floor.matched, s.found-s.matched, floor.extra, s.exactDate, floor.exactDate, s.exactTitle, floor.exactTitle)
		}
	}
	t.Logf("page-mean recall %.0f%%, precision %.0f%%", 100*sumR/float64(len(pages)), 100*sumP/float64(len(pages)))
}

func BenchmarkCorpus(b *testing.B) {
	pages := loadCorpus(b)
	auto := mustProfile(b, "auto")
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range pages {
			_, _ = ParseListing(p.body, p.truth.URL, auto)
		}
	}
}
