package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/harvest-archive/harvest/export"
)

// tableSchemaTypes are Table Schema v1's field types and the formats each allows
// without a pattern.
var tableSchemaTypes = map[string]map[string]bool{
	"string":    {"": true, "default": true, "email": true, "uri": true, "binary": true, "uuid": true},
	"number":    {"": true, "default": true},
	"integer":   {"": true, "default": true},
	"boolean":   {"": true, "default": true},
	"object":    {"": true, "default": true},
	"array":     {"": true, "default": true},
	"date":      {"": true, "default": true, "any": true},
	"time":      {"": true, "default": true, "any": true},
	"datetime":  {"": true, "default": true, "any": true},
	"year":      {"": true, "default": true},
	"yearmonth": {"": true, "default": true},
	"duration":  {"": true, "default": true},
	"geopoint":  {"": true, "default": true, "array": true, "object": true},
	"geojson":   {"": true, "default": true, "topojson": true},
	"any":       {"": true, "default": true},
}

// checkPackage holds a datapackage.json to the Data Package and Table
// Schema rules, and each row of its CSV to the declared types.
func checkPackage(t *testing.T, pkg []byte, data []byte) {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(pkg, &p); err != nil {
		t.Fatalf("datapackage.json: %v", err)
	}
	name := regexp.MustCompile(`^[a-z0-9._-]+$`)
	if p["profile"] != "tabular-data-package" || !name.MatchString(p["name"].(string)) {
		t.Errorf("package profile %v, name %v", p["profile"], p["name"])
	}
	res, _ := p["resources"].([]any)
	if len(res) != 1 {
		t.Fatalf("%d resources", len(res))
	}
	r := res[0].(map[string]any)
	if r["profile"] != "tabular-data-resource" || !name.MatchString(r["name"].(string)) || r["path"] == "" || r["format"] != "csv" || r["encoding"] != "utf-8" {
		t.Errorf("resource %v", r)
	}
	schema := r["schema"].(map[string]any)
	fields := schema["fields"].([]any)
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(fields) != len(rows[0]) {
		t.Fatalf("%d fields for %d columns", len(fields), len(rows[0]))
	}
	missing := map[string]bool{}
	for _, m := range schema["missingValues"].([]any) {
		missing[m.(string)] = true
	}
	seenName := map[string]bool{}
	for i, f := range fields {
		f := f.(map[string]any)
		fname, _ := f["name"].(string)
		typ, _ := f["type"].(string)
		format, _ := f["format"].(string)
		if fname == "" || seenName[fname] {
			t.Errorf("field %d: name %q empty or repeated", i, fname)
		}
		seenName[fname] = true
		if fname != rows[0][i] {
			t.Errorf("field %d is %q, the CSV's column %q", i, fname, rows[0][i])
		}
		if formats, ok := tableSchemaTypes[typ]; !ok || !formats[format] {
			t.Errorf("field %s: type %q format %q is not Table Schema's", fname, typ, format)
		}
		for _, row := range rows[1:] {
			v := row[i]
			if missing[v] {
				continue
			}
			var err error
			switch typ {
			case "date":
				_, err = time.Parse(time.DateOnly, v)
			case "datetime":
				_, err = time.Parse("2006-01-02T15:04:05Z", v)
			case "integer":
				_, err = strconv.ParseInt(v, 10, 64)
			}
			if err != nil {
				t.Errorf("field %s: %q is not a %s: %v", fname, v, typ, err)
			}
		}
	}
	if pk, ok := schema["primaryKey"].([]any); ok {
		for _, k := range pk {
			if !seenName[k.(string)] {
				t.Errorf("primary key %v is no field", k)
			}
		}
	}
}

func TestDataPackage(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		cols  []export.Column
		key   string
		write func(*bytes.Buffer) error
	}{
		{"records", export.RecordColumns, "url", func(b *bytes.Buffer) error {
			_, err := export.WriteRecords(ctx, detailRecords, "csv", b, export.Options{})
			return err
		}},
		{"details", export.DetailColumns, "url", func(b *bytes.Buffer) error {
			_, err := export.WriteDetails(ctx, reader{detailRecords, detailDocs}, "csv", b, export.Options{})
			return err
		}},
		{"files", export.FileColumns, "", func(b *bytes.Buffer) error {
			_, err := export.WriteFiles(ctx, manifest, "csv", b, export.Options{})
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var data, pkg bytes.Buffer
			if err := tt.write(&data); err != nil {
				t.Fatal(err)
			}
			p, err := export.NewDataPackage(tt.name, tt.name+".csv", tt.cols, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.WriteTo(&pkg); err != nil {
				t.Fatal(err)
			}
			checkPackage(t, pkg.Bytes(), data.Bytes())
			if tt.name == "details" {
				golden(t, "datapackage.json", pkg.Bytes())
			}
		})
	}
	for _, bad := range [][2]string{{"Records", "r.csv"}, {"records", "/etc/r.csv"}, {"records", "../r.csv"}, {"records", ""}, {"records", `a\b.csv`}} {
		if _, err := export.NewDataPackage(bad[0], bad[1], export.RecordColumns, ""); err == nil {
			t.Errorf("NewDataPackage(%q, %q) took it", bad[0], bad[1])
		}
	}
}
