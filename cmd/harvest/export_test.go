package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/export"
	"github.com/harvest-archive/harvest/store"
)

// exportDB makes a database of two records, the first with its document
// page and one downloaded attachment, and returns its path.
func exportDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w, err := db.NewWalk(ctx, "https://a.example/search", harvest.WalkFull, "https://a.example/search")
	if err != nil {
		t.Fatal(err)
	}
	recs := []harvest.Record{
		{URL: "https://a.example/document/1", Title: "Telegram", Date: "1956~", DateText: "c. 1956", ListingURL: "https://a.example/search"},
		{URL: "https://a.example/document/2", Title: `=HYPERLINK("http://evil.example")`, ListingURL: "https://a.example/search"},
	}
	if _, err := db.SavePage(ctx, harvest.PageResult{WalkID: w.ID, URL: "https://a.example/search", Records: recs}); err != nil {
		t.Fatal(err)
	}
	doc := harvest.Document{URL: recs[0].URL, NodeID: "42", Status: 200,
		Fields: []harvest.Field{{Key: "author", Label: "Author", Values: []string{"Mikoyan, A.", "Kim | Il-sung"}}, {Label: "Box", Values: []string{"7"}}},
		Links:  []harvest.Link{{URL: "https://a.example/files/1.pdf", Label: "PDF"}}}
	if err := db.SaveDocuments(ctx, []harvest.DocumentResult{{WalkID: w.ID, Document: doc}}); err != nil {
		t.Fatal(err)
	}
	entry := harvest.FileEntry{RecordURL: recs[0].URL, URL: "https://a.example/files/1.pdf", Label: "PDF", ContentType: "application/pdf",
		Size: 1234, SHA256: strings.Repeat("a1", 32), FetchedAt: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	if err := db.SaveFile(ctx, entry, 0); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExportFormatsAndFlags(t *testing.T) {
	db := exportDB(t)
	dir := t.TempDir()
	exportTo := func(t *testing.T, args ...string) string {
		t.Helper()
		stdout, stderr, err := runIn(t, append([]string{"export", "--db", db}, args...)...)
		if err != nil {
			t.Fatalf("export %q: %v\n%s", args, err, stderr)
		}
		return stdout
	}
	read := func(t *testing.T, name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	t.Run("xml is Dublin Core, ris is RIS", func(t *testing.T) {
		exportTo(t, "--out", filepath.Join(dir, "h.xml"))
		var v struct {
			Records []struct {
				Titles []string `xml:"http://purl.org/dc/elements/1.1/ title"`
			} `xml:"http://www.openarchives.org/OAI/2.0/oai_dc/ dc"`
		}
		if err := xml.Unmarshal([]byte(read(t, "h.xml")), &v); err != nil || len(v.Records) != 2 || v.Records[0].Titles[0] != "Telegram" {
			t.Errorf("h.xml: %v, %+v", err, v)
		}
		exportTo(t, "--out", filepath.Join(dir, "h.ris"))
		if ris := read(t, "h.ris"); !strings.HasPrefix(ris, "TY  - GEN\r\n") || strings.Count(ris, "ER  - \r\n") != 2 {
			t.Errorf("h.ris:\n%s", ris)
		}
		if out := exportTo(t, "--details", "--format", "ris"); !strings.Contains(out, "AU  - Kim | Il-sung\r\n") {
			t.Errorf("--format ris:\n%s", out)
		}
	})

	t.Run("spreadsheet-safe", func(t *testing.T) {
		verbatim := exportTo(t, "--format", "csv")
		safe := exportTo(t, "--format", "csv", "--spreadsheet-safe")
		if !strings.Contains(verbatim, `"=HYPERLINK(""http://evil.example"")"`) {
			t.Errorf("default is not verbatim:\n%s", verbatim)
		}
		if !strings.Contains(safe, `"'=HYPERLINK(""http://evil.example"")"`) {
			t.Errorf("--spreadsheet-safe did not prefix:\n%s", safe)
		}
	})

	t.Run("details", func(t *testing.T) {
		out := exportTo(t, "--details", "--format", "jsonl")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var first, second map[string]any
		if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &first) != nil || json.Unmarshal([]byte(lines[1]), &second) != nil {
			t.Fatalf("--details jsonl:\n%s", out)
		}
		if first["node_id"] != "42" || first["date_start"] != "1956-01-01" || first["date_end"] != "1956-12-31" || second["node_id"] != nil {
			t.Errorf("--details: %v\n%v", first, second)
		}
		rows, err := csv.NewReader(strings.NewReader(exportTo(t, "--details"))).ReadAll()
		if err != nil || len(rows) != 3 {
			t.Fatalf("--details csv: %v %v", err, rows)
		}
		author := rows[1][len(export.RecordColumns)+2+7]
		if author != `Mikoyan, A. | Kim \| Il-sung` {
			t.Errorf("author column %q", author)
		}
	})

	t.Run("attachments and datapackage", func(t *testing.T) {
		out := filepath.Join(dir, "files.csv")
		exportTo(t, "--attachments", "--datapackage", "--out", out)
		rows, err := csv.NewReader(strings.NewReader(read(t, "files.csv"))).ReadAll()
		if err != nil || len(rows) != 2 || rows[0][0] != "record_url" || rows[1][4] != "1234" {
			t.Errorf("files.csv: %v %v", err, rows)
		}
		var pkg export.DataPackage
		if err := json.Unmarshal([]byte(read(t, "datapackage.json")), &pkg); err != nil {
			t.Fatal(err)
		}
		if r := pkg.Resources[0]; r.Path != "files.csv" || r.Name != "files" || len(r.Schema.Fields) != len(rows[0]) {
			t.Errorf("datapackage: %+v", pkg)
		}
	})

	for _, args := range [][]string{
		{"--datapackage"},
		{"--datapackage", "--out", "-"},
		{"--datapackage", "--format", "json", "--out", filepath.Join(dir, "x.json")},
		{"--history", "--details"},
		{"--attachments", "--format", "ris"},
		{"--history", "--format", "dc"},
	} {
		_, _, err := runIn(t, append([]string{"export", "--db", db}, args...)...)
		if !errors.Is(err, errUsage) {
			t.Errorf("export %q: %v, want a usage error", args, err)
		}
	}
}
