package export_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/export"
	"github.com/harvest-archive/harvest/store"
)

// tricky holds the values that break naive writers.
var tricky = []harvest.Record{
	{URL: "https://a.example/document/1", Title: "Telegram from A. Mikoyan to the CPSU Central Committee", Date: "1956-09-17", DateText: "September 17, 1956", Summary: "Plain."},
	{URL: "https://a.example/document/2", Title: `Letter, "On the Berlin Question", with commas`, Date: "1956~", DateText: "c. 1956", Summary: "He said \"no\",\nthen left.\n\nNew line.\t(tab)"},
	{URL: "https://a.example/document/3", Title: "Записка А. Микояна в ЦК КПСС", Summary: "毛泽东与金日成谈话记录 — 김일성"},
	{URL: "https://a.example/document/4?x=1&y=2", Title: "U.S. &amp; Soviet <Draft> Proposal & more", Date: "1956-09-17/1956-09-19", DateText: "September 17-19, 1956"},
	{URL: "https://a.example/document/5", Title: "=SUM(A1:A2)", Summary: "  leading and trailing spaces  ", DateText: "undated"},
}

// bounds are the date_start and date_end of tricky's dates.
var bounds = map[string][2]string{
	"1956-09-17":            {"1956-09-17", "1956-09-17"},
	"1956~":                 {"1956-01-01", "1956-12-31"},
	"1956-09-17/1956-09-19": {"1956-09-17", "1956-09-19"},
	"":                      {"", ""},
}

// stored writes tricky into a real database and returns it with the rows as
// the store gives them back.
func stored(t *testing.T) (*store.DB, []harvest.Record) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }
	w, _ := db.NewWalk(ctx, "https://a.example/search", harvest.WalkFull, "https://a.example/search")
	recs := append([]harvest.Record(nil), tricky...)
	for i := range recs {
		recs[i].ListingURL = "https://a.example/search"
	}
	if _, err := db.SavePage(ctx, harvest.PageResult{WalkID: w.ID, URL: "https://a.example/search", Records: recs}); err != nil {
		t.Fatal(err)
	}
	var rows []harvest.Record
	if err := db.Records(ctx, func(r harvest.Record) error { rows = append(rows, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(tricky) {
		t.Fatalf("stored %d rows, want %d", len(rows), len(tricky))
	}
	return db, rows
}

func names(cols []export.Column) []string {
	var out []string
	for _, c := range cols {
		out = append(out, c.Name)
	}
	return out
}

// values are the rows a record export must hold: the record's fields with
// the date's bounds after the date.
func values(rs []harvest.Record) [][]string {
	out := [][]string{names(export.RecordColumns)}
	for _, r := range rs {
		v := r.Values()
		b := bounds[r.Date]
		out = append(out, append(append(v[:3:3], b[0], b[1]), v[3:]...))
	}
	return out
}

func readJSONL(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var objs []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var o map[string]any
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		objs = append(objs, o)
	}
	return objs
}

func TestExportReadsBack(t *testing.T) {
	db, rows := stored(t)
	want := values(rows)
	tests := []struct {
		format string
		read   func(t *testing.T, b []byte) [][]string
	}{
		{"csv", func(t *testing.T, b []byte) [][]string {
			got, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			return got
		}},
		{"json", func(t *testing.T, b []byte) [][]string {
			var objs []map[string]any
			if err := json.Unmarshal(b, &objs); err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			return fromObjects(t, objs)
		}},
		{"jsonl", func(t *testing.T, b []byte) [][]string { return fromObjects(t, readJSONL(t, b)) }},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			n, err := export.Write(context.Background(), db, tt.format, &buf)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(rows) {
				t.Errorf("wrote %d records, want %d", n, len(rows))
			}
			if diff := cmp.Diff(want, tt.read(t, buf.Bytes())); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
		})
	}
}

// fromObjects reads JSON objects back as rows; a null is "" and "" itself
// must not occur (a missing value is null).
func fromObjects(t *testing.T, objs []map[string]any) [][]string {
	t.Helper()
	out := [][]string{names(export.RecordColumns)}
	for _, o := range objs {
		var row []string
		for _, f := range export.RecordColumns {
			v, ok := o[f.Name]
			if !ok {
				t.Errorf("object without key %s: %v", f.Name, o)
			}
			switch v := v.(type) {
			case nil:
				row = append(row, "")
			case string:
				if v == "" {
					t.Errorf("key %s is \"\", want null", f.Name)
				}
				row = append(row, v)
			default:
				t.Errorf("key %s holds %T", f.Name, v)
			}
		}
		out = append(out, row)
	}
	return out
}

// A missing value is null in JSON and JSONL, an empty field in CSV.
func TestMissingValues(t *testing.T) {
	db, _ := stored(t)
	for _, format := range []string{"json", "jsonl"} {
		var buf bytes.Buffer
		if _, err := export.Write(context.Background(), db, format, &buf); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.Contains(out, `:""`) {
			t.Errorf("%s holds an empty string:\n%s", format, out)
		}
		// Record 3 has no date: date, date_start, date_end, date_text are null.
		for _, want := range []string{`"date":null,"date_start":null,"date_end":null,"date_text":null,"summary":"毛泽东`, `"gone_at":null}`} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %s:\n%s", format, want, out)
			}
		}
	}
	var buf bytes.Buffer
	if _, err := export.Write(context.Background(), db, "csv", &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "https://a.example/document/3,Записка А. Микояна в ЦК КПСС,,,,,") {
		t.Errorf("csv: missing values are not empty fields:\n%s", buf.String())
	}
}

// JSON keys come in the order of the columns, the same as the CSV's.
func TestJSONKeyOrder(t *testing.T) {
	var buf bytes.Buffer
	enc := export.NewJSONLEncoder(&buf, export.RecordColumns, export.Options{})
	v := tricky[0].Values()
	if err := enc.Encode(append(append(v[:3:3], "1956-09-17", "1956-09-17"), v[3:]...)); err != nil {
		t.Fatal(err)
	}
	enc.Close()
	dec := json.NewDecoder(&buf)
	var keys []string
	dec.Token() // {
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var v any
		dec.Decode(&v)
	}
	if diff := cmp.Diff(names(export.RecordColumns), keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}

func TestEmptyExports(t *testing.T) {
	for format, want := range map[string]string{
		"csv":   "url,title,date,date_start,date_end,date_text,summary,listing_url,first_seen,last_seen,gone_at\n",
		"json":  "[]\n",
		"jsonl": "",
		"ris":   "",
		"dc":    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<harvest:records xmlns:harvest=\"https://github.com/harvest-archive/harvest/export\" xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/oai_dc/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n</harvest:records>\n",
	} {
		var buf bytes.Buffer
		if _, err := export.Write(context.Background(), records(nil), format, &buf); err != nil {
			t.Fatal(err)
		}
		if buf.String() != want {
			t.Errorf("empty %s = %q, want %q", format, buf.String(), want)
		}
	}
}

// The encoders take any row stream: New's string columns, one value each.
func TestNewArbitraryRows(t *testing.T) {
	var buf bytes.Buffer
	enc, err := export.New("jsonl", &buf, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.Encode([]string{"1", ""}); err != nil {
		t.Fatal(err)
	}
	if err := enc.Encode([]string{"1"}); err == nil {
		t.Error("a short row was written")
	}
	enc.Close()
	if got, want := buf.String(), `{"a":"1","b":null}`+"\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := export.New("xml", &buf, nil); err == nil {
		t.Error("New took an unknown format")
	}
}

func TestFormatOf(t *testing.T) {
	for name, want := range map[string]string{
		"w.csv": "csv", "w.json": "json", "w.jsonl": "jsonl", "w.xml": "dc", "W.XML": "dc", "dir.x/w.ris": "ris",
		"w.txt": "", "w": "", "-": "", "w.csv.gz": "",
	} {
		if got := export.FormatOf(name); got != want {
			t.Errorf("FormatOf(%q) = %q, want %q", name, got, want)
		}
	}
}
