package export_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
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

func values(rs []harvest.Record) [][]string {
	out := [][]string{harvest.Fields}
	for _, r := range rs {
		out = append(out, r.Values())
	}
	return out
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
			var objs []map[string]string
			if err := json.Unmarshal(b, &objs); err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			return fromObjects(objs)
		}},
		{"jsonl", func(t *testing.T, b []byte) [][]string {
			var objs []map[string]string
			sc := bufio.NewScanner(bytes.NewReader(b))
			for sc.Scan() {
				var o map[string]string
				if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
					t.Fatalf("line %q: %v", sc.Text(), err)
				}
				objs = append(objs, o)
			}
			return fromObjects(objs)
		}},
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

func fromObjects(objs []map[string]string) [][]string {
	out := [][]string{harvest.Fields}
	for _, o := range objs {
		var row []string
		for _, f := range harvest.Fields {
			row = append(row, o[f])
		}
		out = append(out, row)
	}
	return out
}

// JSON keys come in the order of harvest.Fields, the same as the CSV columns.
func TestJSONKeyOrder(t *testing.T) {
	var buf bytes.Buffer
	enc := export.NewJSONLEncoder(&buf, harvest.Fields)
	if err := enc.Encode(tricky[0].Values()); err != nil {
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
	if diff := cmp.Diff(harvest.Fields, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}

func TestEmptyExports(t *testing.T) {
	for format, want := range map[string]string{"csv": "url,title,date,date_text,summary,listing_url,first_seen,last_seen,gone_at\n", "json": "[]\n", "jsonl": ""} {
		var buf bytes.Buffer
		enc, _ := export.New(format, &buf, harvest.Fields)
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		if buf.String() != want {
			t.Errorf("empty %s = %q, want %q", format, buf.String(), want)
		}
	}
}
