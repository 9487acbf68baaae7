package serve

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/export"
	"github.com/harvest-archive/harvest/store"
	"github.com/harvest-archive/harvest/warc"
)

// Hostile values: what a harvested site could put in a title or summary.
var (
	scriptTitle = `<script>alert("t")</script> Treaty`
	attrTitle   = `"><img src=x onerror=alert(1)> Memo`
	quoteTitle  = `' onmouseover='alert(2)' x='`
	longTitle   = strings.Repeat("Very long title ", 6000) // 96,000 characters
	jsURL       = `javascript:alert(3)`
	hostileSum  = `</p><iframe src="http://evil.example/"></iframe><style>body{display:none}</style>`
)

// fixture is a harvest database of hostile and ordinary records, with a
// history, a finished run, a run under way with a failed page, a WARC
// directory and an attachments directory.
type fixture struct {
	dbPath, warcDir, filesDir string
	fileSum                   string
	db                        *store.DB
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	f := &fixture{dbPath: filepath.Join(dir, "h.db"), warcDir: filepath.Join(dir, "warc"), filesDir: filepath.Join(dir, "files")}
	db, err := store.Open(ctx, f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	const listing = "http://archive.example/search"
	w, err := db.NewWalk(ctx, listing, harvest.WalkFull, listing)
	if err != nil {
		t.Fatal(err)
	}
	run, _ := db.BeginRun(ctx, w)
	recs := []harvest.Record{
		{URL: "http://archive.example/document/1", Title: scriptTitle, Date: "1956-10-23", DateText: "October 23, 1956", Summary: hostileSum},
		{URL: "http://archive.example/document/2", Title: attrTitle, Date: "1957", DateText: "1957", Summary: "An ordinary summary about the treaty"},
		{URL: "http://archive.example/document/3", Title: quoteTitle, Date: "1962-10", DateText: "October 1962", Summary: formulaSum},
		{URL: "http://archive.example/document/4", Title: longTitle, Date: "", DateText: "n.d.", Summary: strings.Repeat("x", 50000)},
		{URL: jsURL, Title: "A record whose URL is a script", Date: "1958", Summary: "treaty"},
	}
	for i := range recs {
		recs[i].ListingURL = listing
	}
	if _, err := db.SavePage(ctx, harvest.PageResult{WalkID: w.ID, RunID: run, URL: listing, Status: 200, Records: recs, Total: 6}); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishWalk(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRun(ctx, run, harvest.RunSummary{Pages: 1, Requests: 1, Counts: harvest.Counts{New: 5}, Outcome: harvest.OutcomeComplete, Mode: harvest.WalkFull}); err != nil {
		t.Fatal(err)
	}
	// A second walk, under way: the first document retitled (hostile
	// again), a page failed with a hostile error.
	now = now.Add(24 * time.Hour)
	w2, err := db.NewWalk(ctx, listing+"?x", harvest.WalkFull, listing+"?x")
	if err != nil {
		t.Fatal(err)
	}
	run2, _ := db.BeginRun(ctx, w2)
	recs[0].Title = `<b>Retitled</b> Treaty`
	if _, err := db.SavePage(ctx, harvest.PageResult{WalkID: w2.ID, RunID: run2, URL: listing + "?x", Status: 200, Records: recs[:1], Enqueue: []string{listing + "?page=9"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkFailed(ctx, w2.ID, listing+"?page=9", 500, errorString(`<script>alert("err")</script>`), nil); err != nil {
		t.Fatal(err)
	}
	// Document 1's page, hostile too, and its attachment.
	if err := db.SaveDocuments(ctx, []harvest.DocumentResult{{Document: harvest.Document{URL: recs[0].URL, Status: 200, Summary: "A page",
		Fields: []harvest.Field{
			{Key: "subjects", Label: "Subjects", Values: []string{`<script>alert("s")</script>`, "Hungarian Revolution"}},
			{Key: "language", Label: "Original Language", Values: []string{"Hungarian"}},
			{Label: `<img src=x onerror=alert("label")>`, Values: []string{"an unknown field"}},
		},
		Texts: []harvest.Text{{Label: "Translation", Body: "<iframe src=x></iframe> plutonium"}}}}}); err != nil {
		t.Fatal(err)
	}
	content := []byte("%PDF-1.4 not really")
	sum := sha256.Sum256(content)
	f.fileSum = hex.EncodeToString(sum[:])
	if err := db.SaveFile(ctx, harvest.FileEntry{RecordURL: recs[0].URL, URL: "http://archive.example/files/memo.pdf", Label: "Original scan",
		ContentType: "application/pdf", Size: int64(len(content)), SHA256: f.fileSum}, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Captures of document 1 and of the listing.
	ww, err := warc.Open(warc.Options{Dir: f.warcDir, Software: "harvest-test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{recs[0].URL, listing} {
		body := `<html><head><title>captured</title></head><body><script>alert("captured")</script><h1>` + u + `</h1></body></html>`
		err := ww.Write(warc.Exchange{
			URL:      u,
			Date:     now,
			Request:  []byte("GET " + u + " HTTP/1.1\r\nHost: archive.example\r\n\r\n"),
			Response: []byte("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := ww.Close(); err != nil {
		t.Fatal(err)
	}

	// The attachment's file, where the crawl puts it.
	if err := os.MkdirAll(filepath.Join(f.filesDir, f.fileSum[:2]), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.filesDir, f.fileSum[:2], f.fileSum[2:]), []byte("%PDF-1.4 not really"), 0o644); err != nil {
		t.Fatal(err)
	}

	if f.db, err = store.OpenReadOnly(ctx, f.dbPath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.db.Close() })
	return f
}

type errorString string

func (e errorString) Error() string { return string(e) }

// downgrade takes the database at path back to schema version 6, as a
// harvest from before the search index left it.
func downgrade(t *testing.T, path string) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, s := range []string{
		`DROP TABLE records_fts`, `DROP TABLE record_years`,
		`DROP TRIGGER records_fts_insert`, `DROP TRIGGER records_fts_update`, `DROP TRIGGER records_fts_delete`,
		`DROP TRIGGER record_years_insert`, `DROP TRIGGER record_years_update`, `DROP TRIGGER record_years_delete`,
		`DELETE FROM schema_migrations WHERE version > 6`,
	} {
		if _, err := raw.Exec(s); err != nil && !strings.Contains(err.Error(), "no such") {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func (f *fixture) server(t *testing.T, files, warcs bool) *Server {
	t.Helper()
	cfg := Config{DB: f.db, DBPath: f.dbPath, Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return time.Date(2026, 11, 2, 13, 0, 0, 0, time.UTC) }}
	if files {
		cfg.Files = f.filesDir
	}
	if warcs {
		cfg.WARC = f.warcDir
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(t *testing.T, h http.Handler, target string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// Every route answers; every HTML page carries the CSP, shows hostile text
// as text, and holds no script but the embedded one.
func TestRoutes(t *testing.T) {
	f := newFixture(t)
	s := f.server(t, true, true)
	doc1 := url.QueryEscape("http://archive.example/document/1")
	for _, tc := range []struct {
		name, target string
		status       int
		ctype        string
		want         []string // in the body
		notWant      []string
	}{
		{"overview", "/", 200, "text/html", []string{
			"Documents per year", "<svg", "1956: 1 documents", "Last runs", "Failed pages", "Crawl in progress",
			`&lt;script&gt;alert(&#34;err&#34;)&lt;/script&gt;`, "66.7%", "Completeness", "Largest subjects", "Hungarian Revolution", "With their document page"}, nil},
		{"search page", "/search", 200, "text/html", []string{`<label for="q">`, "5 records"}, nil},
		{"search hostile title", "/search?q=treaty", 200, "text/html", []string{
			"&lt;b&gt;Retitled&lt;/b&gt; <mark>Treaty</mark>", "/record?url=http%3A%2F%2Farchive.example%2Fdocument%2F1",
			`href="http://archive.example/document/1"`, "Download these 3 records"}, nil},
		{"search attribute injection", "/search?q=memo", 200, "text/html", []string{`&#34;&gt;&lt;img src=x onerror=alert(1)&gt; <mark>Memo</mark>`}, nil},
		{"search by date", "/search?from=1957&to=1958", 200, "text/html", []string{"2 records"}, nil},
		{"search bad date", "/search?from=last+week", 400, "text/html", []string{`is not a date`}, nil},
		{"search bad page", "/search?page=-3", 400, "text/html", []string{`not a page number`}, nil},
		{"search changed since", "/search?status=changed&since=2026-11-02", 200, "text/html", []string{"1 record,"}, nil},
		{"search gone", "/search?status=gone", 200, "text/html", []string{"No record matches"}, nil},
		{"search paged beyond", "/search?page=9", 200, "text/html", []string{"Previous page"}, nil},
		{"csv", "/search.csv?q=treaty", 200, "text/csv", []string{"url,title,date", `,<b>Retitled</b> Treaty,`}, nil},
		{"json", "/search.json?from=1957", 200, "application/json", []string{`"title":"\"><img src=x onerror=alert(1)> Memo"`}, nil},
		{"download bad", "/search.csv?to=x", 400, "text/plain", nil, nil},
		{"record", "/record?url=" + doc1, 200, "text/html", []string{
			"History", "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt; Treaty", "&lt;b&gt;Retitled&lt;/b&gt; Treaty",
			"Captured pages", "/capture?url=http%3A%2F%2Farchive.example%2Fdocument%2F1", "/capture?url=http%3A%2F%2Farchive.example%2Fsearch",
			"Document page", `<a href="/search?subject=Hungarian%20Revolution">Hungarian Revolution</a>`, "&lt;script&gt;alert(&#34;s&#34;)&lt;/script&gt;",
			"&lt;img src=x onerror=alert(&#34;label&#34;)&gt;", "&lt;iframe src=x&gt;&lt;/iframe&gt; plutonium", "Original scan",
			`<a href="/files/` + f.fileSum + `" download>`}, nil},
		{"record with a script URL", "/record?url=" + url.QueryEscape(jsURL), 200, "text/html", []string{"javascript:alert(3)"}, []string{`href="javascript`}},
		{"record long", "/record?url=" + url.QueryEscape("http://archive.example/document/4"), 200, "text/html", []string{"Very long title Very long title"}, nil},
		{"record missing", "/record?url=http%3A%2F%2Fnowhere", 404, "text/html", []string{"no record has the URL http://nowhere"}, nil},
		{"record no url", "/record", 400, "text/html", []string{"?url="}, nil},
		{"capture", "/capture?url=" + doc1, 200, "text/html", []string{"&lt;script&gt;alert(&#34;captured&#34;)&lt;/script&gt;", "Content-Type"}, nil},
		{"capture missing", "/capture?url=http%3A%2F%2Fnowhere", 404, "text/html", []string{"no capture of http://nowhere"}, nil},
		{"capture raw", "/capture/raw?url=" + doc1, 200, "text/html", []string{`<script>alert("captured")</script>`}, nil},
		{"file", "/files/" + f.fileSum, 200, "application/pdf", []string{"%PDF-1.4"}, nil},
		{"search by subject", "/search?subject=Hungarian+Revolution", 200, "text/html", []string{"1 record,", `id="subject"`, `value="Hungarian Revolution"`}, nil},
		{"search in details", "/search?q=plutonium", 200, "text/html", []string{"1 record,"}, nil},
		{"download with details", "/search.csv?subject=Hungarian+Revolution&details=1", 200, "text/csv", []string{"subjects", `<script>alert(""s"")</script> | Hungarian Revolution`}, nil},
		{"file missing", "/files/" + strings.Repeat("0", 64), 404, "text/html", nil, nil},
		{"file bad name", "/files/..%2f..%2fetc%2fpasswd", 400, "text/html", []string{"is not a sha256"}, nil},
		{"progress", "/progress.json", 200, "application/json", []string{`"pages_done":1`, `"pages_failed":1`}, nil},
		{"style", "/static/style.css", 200, "text/css", []string{"mark"}, nil},
		{"script", "/static/app.js", 200, "text/javascript", []string{"textContent"}, []string{"innerHTML"}},
		{"not found", "/nope", 404, "text/html", []string{"no page at /nope"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := get(t, s, tc.target)
			if res.StatusCode != tc.status {
				t.Errorf("status %d, want %d\n%.2000s", res.StatusCode, tc.status, body)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.ctype) {
				t.Errorf("Content-Type %q, want %s", ct, tc.ctype)
			}
			csp := res.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self'") && !strings.Contains(csp, "sandbox") {
				t.Errorf("CSP %q", csp)
			}
			if strings.Contains(csp, "unsafe-inline") && !strings.Contains(csp, "sandbox") {
				t.Errorf("CSP allows inline: %q", csp)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no nosniff")
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q\n%.3000s", w, body)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(body, w) {
					t.Errorf("body holds %q", w)
				}
			}
			if strings.HasPrefix(tc.ctype, "text/html") && tc.name != "capture raw" {
				hostile(t, body)
			}
		})
	}
}

// hostile fails when a page holds markup from harvested text.
func hostile(t *testing.T, body string) {
	t.Helper()
	if n := strings.Count(strings.ToLower(body), "<script"); n != 1 || !strings.Contains(body, `<script src="/static/app.js" defer></script>`) {
		t.Errorf("%d script elements; want only the embedded one", n)
	}
	for _, bad := range []string{"<img", "<iframe", "<style", "<b>Retitled", `onmouseover='`, `href="javascript:`} {
		if strings.Contains(body, bad) {
			t.Errorf("page holds %q unescaped", bad)
		}
	}
}

// formulaSum is a summary a spreadsheet would run as a formula.
const formulaSum = `=HYPERLINK("http://evil.example","Cuba")`

// The CSV for a spreadsheet (safe=1) prefixes what a spreadsheet would run;
// the plain CSV keeps the data verbatim, as export does.
func TestDownloadForASpreadsheet(t *testing.T) {
	f := newFixture(t)
	s := f.server(t, false, false)
	_, page := get(t, s, "/search?q=cuba")
	if !strings.Contains(page, "safe=1") {
		t.Errorf("the search page offers no CSV for a spreadsheet")
	}
	for target, want := range map[string]string{"/search.csv?q=cuba": formulaSum, "/search.csv?q=cuba&safe=1": "'" + formulaSum} {
		_, body := get(t, s, target)
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil || len(rows) != 2 || !slices.Contains(rows[1], want) {
			t.Errorf("%s: %q, %v; want a cell %q", target, rows, err, want)
		}
	}
}

func TestDownloadsUseTheExportEncoders(t *testing.T) {
	f := newFixture(t)
	s := f.server(t, false, false)
	_, body := get(t, s, "/search.csv")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	var names []string
	for _, c := range export.RecordColumns {
		names = append(names, c.Name)
	}
	if err != nil || len(rows) != 6 || strings.Join(rows[0], ",") != strings.Join(names, ",") {
		t.Fatalf("csv: %d rows, %v: %.300s", len(rows), err, body)
	}
	res, body := get(t, s, "/search.json?q=cuba")
	var got []map[string]string
	if err := json.Unmarshal([]byte(body), &got); err != nil || len(got) != 1 || got[0]["title"] != quoteTitle {
		t.Fatalf("json: %v %v", got, err)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, "harvest-search.json") {
		t.Errorf("Content-Disposition %q", cd)
	}
}

// Without --files and --warc, the record page says how to get captures,
// and the file and capture routes say what is missing.
func TestWithoutFilesAndWARC(t *testing.T) {
	f := newFixture(t)
	s := f.server(t, false, false)
	for target, want := range map[string]string{
		"/record?url=" + url.QueryEscape("http://archive.example/document/1"): "--warc DIR",
		"/capture?url=x":      "start serve with --warc DIR",
		"/files/" + f.fileSum: "start serve with --files DIR",
	} {
		_, body := get(t, s, target)
		if !strings.Contains(body, want) {
			t.Errorf("%s: no %q", target, want)
		}
	}
}

// No route writes: every method but GET (and HEAD) is refused, and the
// database file is unchanged by a tour of the pages.
func TestReadOnly(t *testing.T) {
	f := newFixture(t)
	before, err := os.ReadFile(f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	s := f.server(t, true, true)
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		for _, p := range []string{"/", "/search", "/record?url=x", "/search.csv"} {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(m, p, strings.NewReader("q=x")))
			if rec.Code != http.StatusMethodNotAllowed && rec.Code != http.StatusNotFound {
				t.Errorf("%s %s: %d", m, p, rec.Code)
			}
		}
	}
	for _, p := range []string{"/", "/search?q=treaty", "/record?url=" + url.QueryEscape("http://archive.example/document/1"), "/progress.json"} {
		get(t, s, p)
	}
	after, err := os.ReadFile(f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Error("the database file changed")
	}
}

// A database from before migration 0009 is served: searched as plain text,
// with a note on every page saying how to upgrade it.
func TestOldDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := db.NewWalk(ctx, "http://x/search", harvest.WalkFull, "http://x/search")
	if _, err := db.SavePage(ctx, harvest.PageResult{WalkID: w.ID, URL: "http://x/search", Records: []harvest.Record{
		{URL: "http://x/document/1", Title: "Old <treaty>", Date: "1950", ListingURL: "http://x/search"}}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Take the database back to schema version 6, as an older harvest left it.
	raw, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	raw.Close()
	downgrade(t, path)
	ro, err := store.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	s, err := New(Config{DB: ro, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", "/search?q=treaty"} {
		res, body := get(t, s, p)
		if res.StatusCode != 200 || !strings.Contains(body, "Run `harvest crawl` on it once") {
			t.Errorf("%s: %d, no upgrade note\n%.1500s", p, res.StatusCode, body)
		}
		if p != "/" && !strings.Contains(body, "Old &lt;<mark>treaty</mark>&gt;") {
			t.Errorf("%s: plain-text search did not find the record", p)
		}
	}
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:80": true, "[::1]:8080": true, "127.0.0.2:1": true,
		":8080": false, "0.0.0.0:8080": false, "192.168.1.5:8080": false, "[::]:80": false, "example.com:80": false,
	} {
		if got := Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// ListenAndServe warns when it listens beyond this machine, serves, and
// stops when its context ends.
func TestListenAndServe(t *testing.T) {
	f := newFixture(t)
	var logs strings.Builder
	s, err := New(Config{DB: f.db, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, "0.0.0.0:0", func(a string) { addrc <- a }) }()
	addr := <-addrc
	res, err := http.Get("http://127.0.0.1:" + addr[strings.LastIndex(addr, ":")+1:] + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("status %d", res.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "serving beyond this machine") {
		t.Errorf("no warning for 0.0.0.0: %s", logs.String())
	}
}

// While a crawl writes the database, the server (reading it read-only)
// shows each page as it is committed.
func TestProgressWhileACrawlWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "live.db")
	w, err := store.Open(ctx, path, store.WithLock())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	walk, err := w.NewWalk(ctx, "http://x/search", harvest.WalkFull, "http://x/search")
	if err != nil {
		t.Fatal(err)
	}
	run, err := w.BeginRun(ctx, walk)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := store.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	s, err := New(Config{DB: ro, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for page := 1; page <= 3; page++ {
		u := "http://x/search?page=" + strconv.Itoa(page)
		if _, err := w.SavePage(ctx, harvest.PageResult{WalkID: walk.ID, RunID: run, URL: u, Status: 200, Total: 30,
			Records: []harvest.Record{{URL: "http://x/document/" + strconv.Itoa(page), Title: "T", ListingURL: u}}}); err != nil {
			t.Fatal(err)
		}
		_, body := get(t, s, "/progress.json")
		var ps []store.Progress
		if err := json.Unmarshal([]byte(body), &ps); err != nil || len(ps) != 1 || ps[0].Done != page || ps[0].Records != page || ps[0].Total != 30 {
			t.Fatalf("after page %d: %s (%v)", page, body, err)
		}
		if _, body := get(t, s, "/"); !strings.Contains(body, strconv.Itoa(page)+" pages done") {
			t.Errorf("after page %d, the front page does not show it", page)
		}
	}
	if err := w.FinishRun(ctx, run, harvest.RunSummary{Outcome: harvest.OutcomeComplete}); err != nil {
		t.Fatal(err)
	}
	if _, body := get(t, s, "/progress.json"); strings.TrimSpace(body) != "[]" {
		t.Errorf("after the run: %s", body)
	}
}

// On a loopback address the server answers only requests addressed to this
// machine by name (localhost) or loopback address: a web page that points
// its own host name at 127.0.0.1 (DNS rebinding) cannot read the harvest
// through the browser of whoever runs serve.
func TestLoopbackRefusesOtherHosts(t *testing.T) {
	f := newFixture(t)
	s := f.server(t, false, false)
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, "127.0.0.1:0", func(a string) { addrc <- a }) }()
	addr := <-addrc
	port := addr[strings.LastIndex(addr, ":")+1:]
	for _, tt := range []struct {
		host string
		want int
	}{
		{"127.0.0.1:" + port, 200},
		{"localhost:" + port, 200},
		{"LOCALHOST", 200},
		{"[::1]:" + port, 200},
		{"evil.example:" + port, http.StatusMisdirectedRequest},
		{"evil.example", http.StatusMisdirectedRequest},
		{"localhost.evil.example", http.StatusMisdirectedRequest},
	} {
		req, _ := http.NewRequest("GET", "http://"+addr+"/search?q=treaty", nil)
		req.Host = tt.host
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.want {
			t.Errorf("Host %s: status %d, want %d", tt.host, res.StatusCode, tt.want)
		}
		if tt.want != 200 && strings.Contains(string(body), "Treaty") {
			t.Errorf("Host %s: the answer shows the harvest:\n%s", tt.host, body)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
