package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"testing"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/export"
)

// By default every value is written verbatim; --spreadsheet-safe prefixes
// with ' a text value beginning with =, +, -, @, tab or CR (OWASP), in every
// table format, and leaves the rest and the typed columns alone.
func TestSpreadsheetSafe(t *testing.T) {
	tests := []struct{ title, safe string }{
		{`=HYPERLINK("http://evil.example","click")`, `'=HYPERLINK("http://evil.example","click")`},
		{"+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(1,2)", "'@SUM(1,2)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"Telegram = report", "Telegram = report"},
		{" =leading space", " =leading space"},
		{"'quoted", "'quoted"},
		{"Записка", "Записка"},
	}
	for _, tt := range tests {
		rec := harvest.Record{URL: "https://a.example/document/1", Title: tt.title, Date: "1956", DateText: "-1956", FirstSeen: seen, LastSeen: seen}
		for _, safe := range []bool{false, true} {
			want, wantText := tt.title, "-1956"
			if safe {
				want, wantText = tt.safe, "'-1956"
			}
			opt := export.Options{SpreadsheetSafe: safe}
			var buf bytes.Buffer
			if _, err := export.WriteRecords(context.Background(), records{rec}, "csv", &buf, opt); err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if got := rows[1][1]; got != want {
				t.Errorf("csv, safe %v: title %q, want %q", safe, got, want)
			}
			if got := rows[1][5]; got != wantText {
				t.Errorf("csv, safe %v: date_text %q, want %q", safe, got, wantText)
			}
			if rows[1][3] != "1956-01-01" || rows[1][8] != "2026-11-26T12:00:00Z" {
				t.Errorf("csv, safe %v: typed columns changed: %q", safe, rows[1])
			}
			buf.Reset()
			if _, err := export.WriteRecords(context.Background(), records{rec}, "jsonl", &buf, opt); err != nil {
				t.Fatal(err)
			}
			var obj map[string]any
			if err := json.Unmarshal(buf.Bytes(), &obj); err != nil {
				t.Fatal(err)
			}
			if obj["title"] != want {
				t.Errorf("jsonl, safe %v: title %q, want %q", safe, obj["title"], want)
			}
		}
	}
}

// changes is a history source of fixed changes.
type changes []harvest.Change

func (cs changes) Changes(_ context.Context, _ string, fn func(harvest.Change) error) error {
	for _, c := range cs {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// The history's old and new values are harvested titles too: with
// SpreadsheetSafe they are prefixed as the records' are.
func TestSpreadsheetSafeHistory(t *testing.T) {
	src := changes{{URL: "https://a.example/document/2", Field: "title", Old: "Telegram", New: `=HYPERLINK("http://evil.example")`,
		ListingURL: "https://a.example/search"}}
	for _, safe := range []bool{false, true} {
		var buf bytes.Buffer
		if _, err := export.WriteHistory(context.Background(), src, "", "csv", &buf, export.Options{SpreadsheetSafe: safe}); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("safe %v: %q, %v", safe, rows, err)
		}
		want := `=HYPERLINK("http://evil.example")`
		if safe {
			want = "'" + want
		}
		if got := rows[1][4]; got != want {
			t.Errorf("safe %v: new_value %q, want %q", safe, got, want)
		}
	}
}
