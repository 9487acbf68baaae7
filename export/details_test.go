package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/export"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// records is a Source of fixed records.
type records []harvest.Record

func (rs records) Records(ctx context.Context, fn func(harvest.Record) error) error {
	for _, r := range rs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// reader is a DetailSource of fixed records and documents.
type reader struct {
	records
	docs []harvest.Document
}

func (r reader) Details(ctx context.Context, fn func(harvest.Record, *harvest.Document) error) error {
	for _, rec := range r.records {
		var doc *harvest.Document
		for i := range r.docs {
			if r.docs[i].URL == rec.URL {
				doc = &r.docs[i]
			}
		}
		if err := fn(rec, doc); err != nil {
			return err
		}
	}
	return nil
}

// files is a FileSource of fixed entries.
type files []harvest.FileEntry

func (fs files) Files(ctx context.Context, fn func(harvest.FileEntry) error) error {
	for _, f := range fs {
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

var seen = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// detailRecords are three records: one with a full document page, one with
// a page missing most fields, one with none.
var detailRecords = records{
	{URL: "https://a.example/document/119397", Title: "Telegram from A. Mikoyan to the CPSU Central Committee", Date: "1956-09-17", DateText: "September 17, 1956",
		Summary: "Mikoyan reports.", ListingURL: "https://a.example/search", FirstSeen: seen, LastSeen: seen},
	{URL: "https://a.example/document/2", Title: "=HYPERLINK(\"http://evil.example\",\"x\")", Date: "195X", DateText: "1950s",
		ListingURL: "https://a.example/search", FirstSeen: seen, LastSeen: seen},
	{URL: "https://a.example/document/3", Title: "No page yet", ListingURL: "https://a.example/search", FirstSeen: seen, LastSeen: seen},
}

var detailDocs = []harvest.Document{
	{URL: "https://a.example/document/119397", NodeID: "119397", Title: "Telegram from A. Mikoyan to the CPSU Central Committee",
		Date: "1956-09-17", DateText: "September 17, 1956", Summary: "Mikoyan reports on talks | with \"Kim Il Sung\" & the KWP.",
		Fields: []harvest.Field{
			{Key: "source", Label: "Source", Values: []string{`AVP RF, f. 0102, op. 12 \ d. 46`}},
			{Key: "original_archive", Label: "Original Archive", Values: []string{"Archive of Foreign Policy of the Russian Federation"}},
			{Key: "rights", Label: "Rights", Values: []string{"The Wilson Center"}},
			{Key: "record_id", Label: "Record ID", Values: []string{"119397"}},
			{Key: "language", Label: "Language", Values: []string{"Russian", "English"}},
			{Key: "author", Label: "Author", Values: []string{"Mikoyan, Anastas Ivanovich, 1895-1978", `Office \ of | the Secretary`}},
			{Key: "associated_people", Label: "Associated People", Values: []string{"Kim, Il-sung, 1912-1994", "Peng, Dehuai | 1898-1974"}},
			{Key: "associated_places", Label: "Associated Places", Values: []string{"Korea (North)", "Soviet Union"}},
			{Key: "subjects", Label: "Subjects Discussed", Values: []string{"Korea (North)--Politics and government", "+ leading plus"}},
			{Key: "donors", Label: "Donors", Values: []string{"Leon Levy Foundation"}},
			{Label: "Box Number", Values: []string{"12"}},
			{Label: "Digitised By", Values: []string{"A | B", `C\D`}},
		},
		Texts:     []harvest.Text{{Label: "Translation", Body: "First paragraph.\n\nSecond | paragraph."}, {Label: "Original", Body: "Первый абзац."}},
		Links:     []harvest.Link{{URL: "https://a.example/document/119397/download/pdf", Label: "English PDF"}, {URL: "https://a.example/files/scan.jpg", Label: ""}},
		Status:    200,
		FetchedAt: seen,
	},
	{URL: "https://a.example/document/2", Status: 200, FetchedAt: seen, Fields: []harvest.Field{{Key: "language", Label: "Language", Values: []string{"German"}}}},
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

// Every format of a details export, compared whole with its golden file.
func TestDetailsGolden(t *testing.T) {
	src := reader{detailRecords, detailDocs}
	for _, format := range export.Formats {
		for _, safe := range []bool{false, true} {
			name := "details." + format
			if safe {
				if format == "dc" || format == "ris" {
					continue
				}
				name = "details-safe." + format
			}
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				n, err := export.WriteDetails(context.Background(), src, format, &buf, export.Options{SpreadsheetSafe: safe})
				if err != nil {
					t.Fatal(err)
				}
				if n != len(detailRecords) {
					t.Errorf("wrote %d, want %d", n, len(detailRecords))
				}
				golden(t, name, buf.Bytes())
			})
		}
	}
}

// In JSON the multi-valued fields are arrays, the unknown labels parallel
// to their values, and what a page does not hold is null.
func TestDetailsJSON(t *testing.T) {
	var buf bytes.Buffer
	if _, err := export.WriteDetails(context.Background(), reader{detailRecords, detailDocs}, "jsonl", &buf, export.Options{}); err != nil {
		t.Fatal(err)
	}
	objs := readJSONL(t, buf.Bytes())
	if len(objs) != 3 {
		t.Fatalf("%d objects", len(objs))
	}
	full, half, none := objs[0], objs[1], objs[2]
	for key, want := range map[string]any{
		"node_id":                "119397",
		"language":               []any{"Russian", "English"},
		"associated_people":      []any{"Kim, Il-sung, 1912-1994", "Peng, Dehuai | 1898-1974"},
		"other_labels":           []any{"Box Number", "Digitised By", "Digitised By"},
		"other_values":           []any{"12", "A | B", `C\D`},
		"text_labels":            []any{"Translation", "Original"},
		"attachment_urls":        []any{"https://a.example/document/119397/download/pdf", "https://a.example/files/scan.jpg"},
		"attachment_labels":      []any{"English PDF", ""},
		"document_status":        float64(200),
		"document_contributor":   nil,
		"original_uploaded_date": nil,
	} {
		if diff := cmp.Diff(want, full[key]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", key, diff)
		}
	}
	if diff := cmp.Diff([]any{"German"}, half["language"]); diff != "" {
		t.Errorf("half: language %s", diff)
	}
	for _, c := range export.DetailColumns[11:] {
		if half[c.Name] != nil && c.Name != "language" && c.Name != "document_status" && c.Name != "document_fetched_at" {
			t.Errorf("half: %s = %v, want null", c.Name, half[c.Name])
		}
		if none[c.Name] != nil {
			t.Errorf("no page: %s = %v, want null", c.Name, none[c.Name])
		}
	}
}

// A CSV details export reads back: every multi-valued column split by
// SplitList gives the values as they were, pipes and backslashes included.
func TestDetailsCSVRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if _, err := export.WriteDetails(context.Background(), reader{detailRecords, detailDocs}, "csv", &buf, export.Options{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, n := range rows[0] {
		col[n] = i
	}
	d := detailDocs[0]
	for key, want := range map[string][]string{
		"associated_people": d.Value("associated_people"),
		"source":            d.Value("source"),
		"other_values":      {"12", "A | B", `C\D`},
		"texts":             {d.Texts[0].Body, d.Texts[1].Body},
		"attachment_labels": {"English PDF", ""},
	} {
		if diff := cmp.Diff(want, export.SplitList(rows[1][col[key]])); diff != "" {
			t.Errorf("%s (-want +got):\n%s", key, diff)
		}
	}
	if got := rows[1][col["associated_people"]]; got != `Kim, Il-sung, 1912-1994 | Peng, Dehuai \| 1898-1974` {
		t.Errorf("associated_people = %q", got)
	}
}

func TestListRoundTrip(t *testing.T) {
	for _, vals := range [][]string{
		{"one"},
		{"a", "b", "c"},
		{"a | b", "c|d", "|", " | ", "| ", " |"},
		{`back\slash`, `\`, `\\|`, `ends with \`, `\| `},
		{"trailing ", " leading", "  ", "x"},
		{"", "b"},
		{"a", ""},
		{"a", "", "", "b"},
		{"Kim, Il-sung", "Записка | ЦК", "毛泽东"},
		{"line\nbreak", "tab\there"},
	} {
		joined := export.JoinList(vals)
		if got := export.SplitList(joined); !cmp.Equal(vals, got) {
			t.Errorf("SplitList(JoinList(%q)) = %q (joined %q)", vals, got, joined)
		}
	}
	if got := export.SplitList(""); got != nil {
		t.Errorf("SplitList(\"\") = %q, want nil", got)
	}
}

var manifest = files{
	{RecordURL: "https://a.example/document/119397", URL: "https://a.example/document/119397/download/pdf", Label: "English PDF",
		ContentType: "application/pdf", Size: 123456, SHA256: strings.Repeat("ab", 32), FetchedAt: seen},
	{RecordURL: "https://a.example/document/119397", URL: "https://a.example/files/scan.jpg", ContentType: "image/jpeg", Size: 0, SHA256: strings.Repeat("0f", 32), FetchedAt: seen},
}

// The files manifest: harvest.FileEntry's fields, size a JSON number.
func TestFilesManifest(t *testing.T) {
	for _, format := range export.TableFormats {
		var buf bytes.Buffer
		n, err := export.WriteFiles(context.Background(), manifest, format, &buf, export.Options{})
		if err != nil || n != 2 {
			t.Fatalf("%s: %d, %v", format, n, err)
		}
		golden(t, "files."+format, buf.Bytes())
	}
	var buf bytes.Buffer
	export.WriteFiles(context.Background(), manifest, "jsonl", &buf, export.Options{})
	objs := readJSONL(t, buf.Bytes())
	if objs[0]["size"] != float64(123456) || objs[1]["label"] != nil {
		t.Errorf("size %v (%T), label %v", objs[0]["size"], objs[0]["size"], objs[1]["label"])
	}
	if _, err := export.WriteFiles(context.Background(), manifest, "ris", &buf, export.Options{}); err == nil {
		t.Error("a files manifest in RIS")
	}
	var _ = json.Valid
}

// A details export from a real database: the store pairs each record with
// its page, and a record without one has null details.
func TestDetailsFromStore(t *testing.T) {
	db, rows := stored(t)
	ctx := context.Background()
	d := detailDocs[0]
	d.URL = rows[1].URL
	if err := db.SaveDocuments(ctx, []harvest.DocumentResult{{WalkID: 1, Document: d}}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := export.WriteDetails(ctx, db, "jsonl", &buf, export.Options{})
	if err != nil || n != len(rows) {
		t.Fatalf("%d rows, %v", n, err)
	}
	objs := readJSONL(t, buf.Bytes())
	for i, o := range objs {
		if o["url"] != rows[i].URL {
			t.Errorf("row %d: url %v, want %s", i, o["url"], rows[i].URL)
		}
		if i == 1 {
			if o["node_id"] != "119397" || !cmp.Equal(o["language"], []any{"Russian", "English"}) || o["date_start"] != "1956-01-01" {
				t.Errorf("row 1: %v", o)
			}
		} else if o["node_id"] != nil || o["language"] != nil || o["document_status"] != nil {
			t.Errorf("row %d has details: %v", i, o)
		}
	}
}
