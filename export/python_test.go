package export_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/export"
)

// TestLeaveExportsForPython writes, under $HARVEST_EXPORT_DIR, the records,
// details and files exports in every table format (records/wilson.csv, .json,
// .jsonl, and so on) with a datapackage.json beside each CSV, for CI's
// pandas and python3 csv+json checks (.ci/pandas-check.py,
// .ci/datapackage-check.py). Skipped without the variable.
func TestLeaveExportsForPython(t *testing.T) {
	dir := os.Getenv("HARVEST_EXPORT_DIR")
	if dir == "" {
		t.Skip("HARVEST_EXPORT_DIR is not set")
	}
	db, _ := stored(t)
	ctx := context.Background()
	details := reader{detailRecords, detailDocs}
	var recs records
	if err := db.Records(ctx, func(r harvest.Record) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	recs = append(recs, detailRecords...)
	kinds := []struct {
		name  string
		cols  []export.Column
		key   string
		write func(format string, f *os.File) error
	}{
		{"records", export.RecordColumns, "url", func(format string, f *os.File) error {
			_, err := export.WriteRecords(ctx, recs, format, f, export.Options{})
			return err
		}},
		{"details", export.DetailColumns, "url", func(format string, f *os.File) error {
			_, err := export.WriteDetails(ctx, details, format, f, export.Options{})
			return err
		}},
		{"files", export.FileColumns, "", func(format string, f *os.File) error {
			_, err := export.WriteFiles(ctx, manifest, format, f, export.Options{})
			return err
		}},
	}
	for _, k := range kinds {
		sub := filepath.Join(dir, k.name)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, format := range export.TableFormats {
			f, err := os.Create(filepath.Join(sub, "wilson."+format))
			if err != nil {
				t.Fatal(err)
			}
			if err := k.write(format, f); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}
		p, err := export.NewDataPackage(k.name, "wilson.csv", k.cols, k.key)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(filepath.Join(sub, "datapackage.json"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.WriteTo(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
