package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/harvest-archive/harvest"
)

func TestTerms(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{`atomic bomb`, `"atomic" AND "bomb"`},
		{`"cold war" Stalin`, `"cold war" AND "Stalin"`},
		{`Stal*`, `"Stal"*`},
		{`AND OR NOT NEAR(`, `"AND" AND "OR" AND "NOT" AND "NEAR"`},
		{`"unclosed phrase`, `"unclosed phrase"`},
		{`a"b`, `"a" AND "b"`},
		{`*** ((( ---`, ``},
		{"x\uE000y", `"xy"`},
		{`<script>alert(1)</script>`, `"script alert 1 script"`},
		{`Хрущёв`, `"Хрущёв"`},
	} {
		if got := matchExpr(terms(tc.in)); got != tc.want {
			t.Errorf("terms(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// searchDB holds five records seen on 2026-11-26, one of them retitled and
// one gone on 2026-11-28.
func searchDB(t *testing.T) *DB {
	t.Helper()
	db, now := MustOpen(t)
	ctx := context.Background()
	w, err := db.NewWalk(ctx, "http://x/search", harvest.WalkFull, "http://x/search")
	if err != nil {
		t.Fatal(err)
	}
	recs := []harvest.Record{
		{URL: "http://x/document/1", Title: "Letter on the atomic bomb", Date: "1945-08-07", Summary: "Stalin writes"},
		{URL: "http://x/document/2", Title: "Minutes of a meeting", Date: "1956", Summary: "The atomic question is raised"},
		{URL: "http://x/document/3", Title: "Telegram from Moscow", Date: "1956-03?", Summary: "On trade"},
		{URL: "http://x/document/4", Title: "Memorandum", Date: "", Summary: "Undated note"},
		{URL: "http://x/document/5", Title: "Report on Khrushchev", Date: "1962/1963", Summary: "Cuba"},
	}
	for i := range recs {
		recs[i].ListingURL = "http://x/search"
	}
	if _, err := db.SavePage(ctx, harvest.PageResult{WalkID: w.ID, URL: "http://x/search", Records: recs}); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(48 * time.Hour)
	recs[2].Title = "Telegram from Moscow to Beijing"
	recs[2].Date = "1957"
	if _, err := db.SavePage(ctx, harvest.PageResult{WalkID: w.ID, URL: "http://x/search", Records: recs[:4]}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.db.Exec(`UPDATE records SET gone_at = ? WHERE url = ?`, db.now(), recs[4].URL); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SavePage(ctx, harvest.PageResult{WalkID: w.ID, URL: "http://x/search?page=1", Records: []harvest.Record{{
		URL: "http://x/document/6", Title: "New telegram", Date: "1961", ListingURL: "http://x/search?page=1"}}}); err != nil {
		t.Fatal(err)
	}
	return db
}

func urls(hits []SearchHit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, strings.TrimPrefix(h.URL, "http://x/document/"))
	}
	return out
}

func TestSearch(t *testing.T) {
	db := searchDB(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		q     SearchQuery
		want  []string
		total int
	}{
		{"everything newest first", SearchQuery{}, []string{"5", "6", "3", "2", "1", "4"}, 6},
		{"oldest first, undated last", SearchQuery{Sort: SortOldest}, []string{"1", "2", "3", "6", "5", "4"}, 6},
		{"title match ranks first", SearchQuery{Text: "atomic"}, []string{"1", "2"}, 2},
		{"every word required", SearchQuery{Text: "atomic stalin"}, []string{"1"}, 1},
		{"phrase", SearchQuery{Text: `"from moscow"`}, []string{"3"}, 1},
		{"prefix", SearchQuery{Text: "tele*"}, []string{"6", "3"}, 2}, // the shorter title first
		{"new title found after a change", SearchQuery{Text: "beijing"}, []string{"3"}, 1},
		{"year range", SearchQuery{From: "1956", To: "1957"}, []string{"3", "2"}, 2},
		{"to a month", SearchQuery{To: "1945-08"}, []string{"1"}, 1},
		{"interval by its start", SearchQuery{From: "1962"}, []string{"5"}, 1},
		{"changed since", SearchQuery{Status: StatusChanged, Since: "2026-11-27"}, []string{"3"}, 1},
		{"changed before is not since", SearchQuery{Status: StatusChanged, Since: "2026-11-29"}, nil, 0},
		{"gone", SearchQuery{Status: StatusGone}, []string{"5"}, 1},
		{"new since", SearchQuery{Status: StatusNew, Since: "2026-11-27"}, []string{"6"}, 1},
		{"paged", SearchQuery{Offset: 2, Limit: 2}, []string{"3", "2"}, 6},
		{"text and filter", SearchQuery{Text: "telegram", From: "1960"}, []string{"6"}, 1},
		{"hostile text", SearchQuery{Text: `") OR 1=1 --`}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := db.Search(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := urls(res.Hits); !slices.Equal(got, tc.want) || res.Total != tc.total {
				t.Errorf("got %v of %d, want %v of %d", got, res.Total, tc.want, tc.total)
			}
			var all []string
			q := tc.q
			q.Offset, q.Limit = 0, 0
			if err := db.SearchRecords(ctx, q, func(r harvest.Record) error { all = append(all, r.URL); return nil }); err != nil || len(all) != tc.total {
				t.Errorf("SearchRecords: %d records, %v; want %d", len(all), err, tc.total)
			}
		})
	}
	res, err := db.Search(ctx, SearchQuery{Text: "atomic"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Letter on the " + MarkStart + "atomic" + MarkEnd + " bomb"; res.Hits[0].TitleMarked != want {
		t.Errorf("highlighted title %q, want %q", res.Hits[0].TitleMarked, want)
	}
	if !strings.Contains(res.Hits[1].SummaryMarked, MarkStart+"atomic"+MarkEnd) {
		t.Errorf("summary snippet %q has no mark", res.Hits[1].SummaryMarked)
	}
}

func TestSearchRefusesBadFilters(t *testing.T) {
	db := searchDB(t)
	for _, q := range []SearchQuery{
		{From: "1956-3"}, {To: "yesterday"}, {Since: "2026/11/01"}, {Status: "deleted"}, {Sort: "random"},
		{From: "1960", To: "1950"}, {Offset: -1},
	} {
		if _, err := db.Search(context.Background(), q); !errors.Is(err, ErrBadQuery) {
			t.Errorf("%+v: %v, want ErrBadQuery", q, err)
		}
	}
}

func TestOverviewAndProgress(t *testing.T) {
	db := searchDB(t)
	ctx := context.Background()
	o, err := db.Overview(ctx, 10, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []YearCount{{"1945", 1}, {"1956", 1}, {"1957", 1}, {"1961", 1}, {"1962", 1}}
	if !slices.Equal(o.Years, want) || o.Records != 6 || o.Undated != 1 || o.Gone != 1 || !o.FullText {
		t.Errorf("overview %+v", o)
	}
	// The per-year table follows the records: compare it with a count.
	s, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Years, o.Years) || s.Undated != o.Undated {
		t.Errorf("years %v / %d undated; stats counts %v / %d", o.Years, o.Undated, s.Years, s.Undated)
	}
	w, _ := db.LastWalk(ctx, "http://x/search")
	run, err := db.BeginRun(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := db.Progress(ctx)
	if err != nil || len(ps) != 1 || ps[0].RunID != run || ps[0].Done != 2 || ps[0].Records != 6 {
		t.Fatalf("progress %+v, %v", ps, err)
	}
	if err := db.FinishRun(ctx, run, harvest.RunSummary{Outcome: harvest.OutcomeComplete}); err != nil {
		t.Fatal(err)
	}
	if ps, _ := db.Progress(ctx); len(ps) != 0 {
		t.Errorf("progress after the run: %+v", ps)
	}
	if o, _ := db.Overview(ctx, 10, 10); len(o.Runs) != 1 || o.Runs[0].Outcome != harvest.OutcomeComplete {
		t.Errorf("runs %+v", o.Runs)
	}
}

// A database from before the search index, opened read-only (so not
// upgraded), is searched as plain text.
func TestSearchWithoutIndex(t *testing.T) {
	path := oldDatabase(t, 6)
	db, err := OpenReadOnly(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.HasSearchIndex() {
		t.Fatal("version 6 has a search index?")
	}
	res, err := db.Search(context.Background(), SearchQuery{Text: "a"})
	if err != nil || res.Total != 1 || res.FullText || res.Hits[0].TitleMarked != MarkStart+"A"+MarkEnd {
		t.Fatalf("search: %+v, %v", res, err)
	}
	o, err := db.Overview(context.Background(), 5, 5)
	if err != nil || o.Records != 1 || len(o.Years) != 1 {
		t.Fatalf("overview %+v, %v", o, err)
	}
	if v := versionOf(t, path); v != 6 {
		t.Errorf("version %d after reading, want 6", v)
	}
}

// With more matches than it counts or ranks, Search says so, and finds
// the same records by the other paths: the filters driving, the order's
// index walked.
func TestSearchManyMatches(t *testing.T) {
	db := searchDB(t)
	ctx := context.Background()
	countLimit, rankLimit = 1, 1
	t.Cleanup(func() { countLimit, rankLimit = CountLimit, RankLimit })
	for _, tc := range []struct {
		name string
		q    SearchQuery
		want []string
		more bool
	}{
		{"unranked, newest harvested first", SearchQuery{Text: "telegram"}, []string{"6", "3"}, true},
		{"filters drive", SearchQuery{Text: "telegram", From: "1957"}, []string{"6", "3"}, true},
		{"filters drive, one left", SearchQuery{Text: "telegram", From: "1960"}, []string{"6"}, false},
		{"by date over the matches", SearchQuery{Text: "telegram", Sort: SortOldest}, []string{"3", "6"}, true},
		{"by date, filtered", SearchQuery{Text: "atomic", Sort: SortNewest, To: "1960"}, []string{"2", "1"}, true},
		{"no words, many", SearchQuery{From: "1900"}, []string{"5", "6", "3", "2", "1"}, true},
		{"changed, few", SearchQuery{Status: StatusChanged}, []string{"3"}, false},
		{"no words, no filter: counted exactly", SearchQuery{Offset: 4}, []string{"1", "4"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := db.Search(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := urls(res.Hits); !slices.Equal(got, tc.want) || res.More != tc.more || (res.Ranked && res.More) {
				t.Errorf("got %v more=%v ranked=%v, want %v more=%v", got, res.More, res.Ranked, tc.want, tc.more)
			}
		})
	}
	// Few matches found by the filters, ranked in the index.
	countLimit, rankLimit = 1, 5
	res, err := db.Search(ctx, SearchQuery{Text: "telegram", From: "1960"})
	if err != nil || !res.Ranked || !slices.Equal(urls(res.Hits), []string{"6"}) {
		t.Errorf("ranked by the filters: %v ranked=%v, %v", urls(res.Hits), res.Ranked, err)
	}
}

func TestMarkTerms(t *testing.T) {
	m := func(s string) string {
		return strings.NewReplacer(MarkStart, "[", MarkEnd, "]").Replace(s)
	}
	for _, tc := range []struct{ text, q, want string }{
		{"Letter on the atomic bomb", "atomic", "Letter on the [atomic] bomb"},
		{"Télégramme de Moscou", "telegramme", "[Télégramme] de Moscou"},
		{"ATOMIC atomics", "atomic", "[ATOMIC] atomics"},
		{"Telegram telegraphy", "tele*", "[Telegram] [telegraphy]"},
		{"record of a conversation; record of conversation", `"record of conversation"`, "record of a conversation; [record] [of] [conversation]"},
		{"<script>x</script>", "script", "<[script]>x</[script]>"},
		{"a\uE000b\uE001c", "abc", "[abc]"},
	} {
		if got := m(markTerms(tc.text, terms(tc.q))); got != tc.want {
			t.Errorf("markTerms(%q, %q) = %q, want %q", tc.text, tc.q, got, tc.want)
		}
	}
	long := strings.Repeat("word ", 200) + "needle " + strings.Repeat("word ", 200)
	if ex := excerpt(long, terms("needle"), 100); !strings.Contains(ex, "needle") || len(ex) > 110 || !strings.HasPrefix(ex, "…") || !strings.HasSuffix(ex, "…") {
		t.Errorf("excerpt %q", ex)
	}
}

// Document pages feed the full-text index (their details) and the facets,
// and follow their changes.
func TestSearchDetailsAndFacets(t *testing.T) {
	db := searchDB(t)
	ctx := context.Background()
	doc := func(url string, subjects ...string) harvest.DocumentResult {
		return harvest.DocumentResult{Document: harvest.Document{URL: url, Status: 200, Summary: "described",
			Fields: []harvest.Field{{Key: "subjects", Label: "Subjects", Values: subjects}, {Key: "language", Label: "Original Language", Values: []string{"Russian"}},
				{Key: "associated_people", Label: "People", Values: []string{"Khrushchev, Nikita"}},
				{Key: "author", Label: "Author", Values: []string{"Khrushchev, Nikita"}}}, // a person twice
			Texts: []harvest.Text{{Label: "Translation", Body: "It mentions plutonium."}}}}
	}
	if err := db.SaveDocuments(ctx, []harvest.DocumentResult{doc("http://x/document/1", "Cold War", "Nuclear weapons"), doc("http://x/document/2", "Cold War")}); err != nil {
		t.Fatal(err)
	}
	check := func(q SearchQuery, want ...string) {
		t.Helper()
		res, err := db.Search(ctx, q)
		if err != nil || !slices.Equal(urls(res.Hits), want) {
			t.Errorf("%+v: %v, %v; want %v", q, urls(res.Hits), err, want)
		}
	}
	check(SearchQuery{Text: "plutonium"}, "1", "2")
	check(SearchQuery{Subject: "Cold War"}, "2", "1")
	check(SearchQuery{Subject: "Nuclear weapons", Text: "atomic"}, "1")
	check(SearchQuery{Person: "Khrushchev, Nikita", Language: "Russian", Sort: SortOldest}, "1", "2")
	check(SearchQuery{Place: "Moscow"})
	facet := func(want ...FacetCount) {
		t.Helper()
		got, err := db.Facet(ctx, FacetSubject, 10)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("subjects %v, %v; want %v", got, err, want)
		}
	}
	facet(FacetCount{"Cold War", 2}, FacetCount{"Nuclear weapons", 1})
	// A page fetched again with other subjects replaces its terms.
	if err := db.SaveDocuments(ctx, []harvest.DocumentResult{doc("http://x/document/1", "Détente")}); err != nil {
		t.Fatal(err)
	}
	facet(FacetCount{"Cold War", 1}, FacetCount{"Détente", 1})
	check(SearchQuery{Text: "detente"}, "1")

	// A harvest copied into a new database (harvest migrate) is searched
	// and faceted there as here: the copy indexes its document pages.
	copied, _ := MustOpen(t)
	if _, err := Copy(ctx, db, copied); err != nil {
		t.Fatal(err)
	}
	for _, q := range []SearchQuery{{Text: "detente"}, {Text: "plutonium"}, {Subject: "Cold War"}, {Person: "Khrushchev, Nikita"}} {
		a, errA := db.Search(ctx, q)
		b, errB := copied.Search(ctx, q)
		if errA != nil || errB != nil || !slices.Equal(urls(a.Hits), urls(b.Hits)) {
			t.Errorf("%+v: copy finds %v (%v), original %v (%v)", q, urls(b.Hits), errB, urls(a.Hits), errA)
		}
	}
	if got, err := copied.Facet(ctx, FacetSubject, 10); err != nil || !slices.Equal(got, []FacetCount{{"Cold War", 1}, {"Détente", 1}}) {
		t.Errorf("copied subjects %v, %v", got, err)
	}
	d, err := db.Document(ctx, "http://x/document/1")
	if err != nil || d == nil || len(d.Fields) != 4 || d.Value("subjects")[0] != "Détente" {
		t.Errorf("document %+v, %v", d, err)
	}
	if d, err := db.Document(ctx, "http://x/document/3"); d != nil || err != nil {
		t.Errorf("document of a record without one: %+v, %v", d, err)
	}
	e := harvest.FileEntry{RecordURL: "http://x/document/1", URL: "http://x/files/a.pdf", Label: "PDF", ContentType: "application/pdf", Size: 3, SHA256: strings.Repeat("ab", 32)}
	if err := db.SaveFile(ctx, e, 0); err != nil {
		t.Fatal(err)
	}
	as, err := db.Attachments(ctx, e.RecordURL)
	if err != nil || len(as) != 1 || as[0].SHA256 != e.SHA256 {
		t.Errorf("attachments %+v, %v", as, err)
	}
	if got, ok, err := db.FileBySHA256(ctx, e.SHA256); !ok || err != nil || got.ContentType != "application/pdf" {
		t.Errorf("file by sha256: %+v %v %v", got, ok, err)
	}
	var n int
	if err := db.SearchDetails(ctx, SearchQuery{Subject: "Cold War"}, func(r harvest.Record, d *harvest.Document) error {
		if d == nil {
			t.Errorf("%s: no document", r.URL)
		}
		n++
		return nil
	}); err != nil || n != 1 {
		t.Errorf("SearchDetails: %d, %v", n, err)
	}
}

// A run whose process was killed, closed as interrupted by the next run,
// is no longer shown as in progress: serve's front page would otherwise
// list it as a crawl under way for ever.
func TestProgressLeavesOutAStaleRunClosedByTheNext(t *testing.T) {
	db := searchDB(t)
	ctx := context.Background()
	w, _ := db.LastWalk(ctx, "http://x/search")
	killed, err := db.BeginRun(ctx, w) // never finished: kill -9
	if err != nil {
		t.Fatal(err)
	}
	next, err := db.BeginRun(ctx, w) // closes the killed run as interrupted
	if err != nil {
		t.Fatal(err)
	}
	ps, err := db.Progress(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].RunID != next {
		t.Errorf("progress lists runs %+v; want only run %d (run %d was closed as interrupted)", ps, next, killed)
	}
}
