package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/export"
	"github.com/harvest-archive/harvest/fixtures"
)

// crawl --details --files of the fixture archive, then every export of it:
// each record's detail columns equal the fixture's truth, the manifest
// lists every attachment, and the Dublin Core and RIS files hold a record
// each.
func TestCrawlDetailsThenExport(t *testing.T) {
	srv := fixtures.NewServer(fixtures.NewArchive(12, 4))
	srv.Robots = "User-agent: *\nAllow: /\n"
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	if code, _, stderr := run(t, dir, "crawl", srv.ListingURL(0), "--db", "h.db", "--delay", "0", "--concurrency", "4", "--profile", "wilson",
		"--details", "--files", "files", "--quiet"); code != 0 {
		t.Fatalf("crawl: exit %d\n%s", code, stderr)
	}
	truth := map[string]harvest.Document{}
	attachments := 0
	for _, d := range srv.Archive.Docs() {
		doc := srv.Document(d)
		truth[doc.URL] = doc
		attachments += len(srv.Attachments(d))
	}

	code, stdout, stderr := run(t, dir, "export", "--db", "h.db", "--details", "--format", "jsonl")
	if code != 0 {
		t.Fatalf("export --details: exit %d\n%s", code, stderr)
	}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	rows, unknown, texts := 0, 0, 0
	for sc.Scan() {
		rows++
		var o map[string]any
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatal(err)
		}
		url, _ := o["url"].(string)
		doc, ok := truth[url]
		if !ok {
			t.Errorf("exported %s, which the archive does not have", url)
			continue
		}
		want := map[string]any{"node_id": doc.NodeID}
		list := func(vs []string) any {
			if len(vs) == 0 {
				return nil
			}
			out := make([]any, len(vs))
			for i, v := range vs {
				out[i] = v
			}
			return out
		}
		for _, k := range harvest.DocumentKeys {
			var vs []string
			for _, f := range doc.Fields {
				if f.Key == k {
					vs = append(vs, f.Values...)
				}
			}
			want[k] = list(vs)
		}
		var labels, values, tl, tb, au, al []string
		for _, f := range doc.Fields {
			if f.Key == "" {
				for _, v := range f.Values {
					labels, values = append(labels, f.Label), append(values, v)
				}
			}
		}
		for _, x := range doc.Texts {
			tl, tb = append(tl, x.Label), append(tb, x.Body)
		}
		for _, l := range doc.Links {
			au, al = append(au, l.URL), append(al, l.Label)
		}
		unknown += len(labels)
		texts += len(tl)
		want["other_labels"], want["other_values"] = list(labels), list(values)
		want["text_labels"], want["texts"] = list(tl), list(tb)
		want["attachment_urls"], want["attachment_labels"] = list(au), list(al)
		got := map[string]any{}
		for k := range want {
			got[k] = o[k]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-fixture +export):\n%s", url, diff)
		}
	}
	if rows != len(truth) || unknown == 0 || texts == 0 || attachments == 0 {
		t.Errorf("%d rows (want %d), %d unknown labels, %d texts, %d attachments: the fixture should have some of each", rows, len(truth), unknown, texts, attachments)
	}

	// The manifest, with its datapackage.json.
	if code, _, stderr := run(t, dir, "export", "--db", "h.db", "--attachments", "--datapackage", "--out", "files.csv"); code != 0 {
		t.Fatalf("export --attachments: exit %d\n%s", code, stderr)
	}
	f, err := os.Open(filepath.Join(dir, "files.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	manifest, err := csv.NewReader(f).ReadAll()
	if err != nil || len(manifest) != attachments+1 {
		t.Errorf("files.csv: %v, %d rows, want %d attachments", err, len(manifest)-1, attachments)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "datapackage.json")); err != nil || !strings.Contains(string(b), `"path": "files.csv"`) {
		t.Errorf("datapackage.json: %v\n%s", err, b)
	}

	// Dublin Core and RIS: a record each.
	if code, _, stderr := run(t, dir, "export", "--db", "h.db", "--details", "--out", "h.xml"); code != 0 {
		t.Fatalf("export h.xml: exit %d\n%s", code, stderr)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "h.xml"))
	var dc struct {
		Records []struct {
			Relations []string `xml:"http://purl.org/dc/elements/1.1/ relation"`
		} `xml:"http://www.openarchives.org/OAI/2.0/oai_dc/ dc"`
	}
	if err := xml.Unmarshal(b, &dc); err != nil || len(dc.Records) != len(truth) {
		t.Errorf("h.xml: %v, %d records", err, len(dc.Records))
	}
	relations := 0
	for _, r := range dc.Records {
		relations += len(r.Relations)
	}
	if relations != attachments {
		t.Errorf("h.xml: %d relations, want one per attachment (%d)", relations, attachments)
	}
	if code, _, stderr := run(t, dir, "export", "--db", "h.db", "--details", "--out", "h.ris"); code != 0 {
		t.Fatalf("export h.ris: exit %d\n%s", code, stderr)
	}
	b, _ = os.ReadFile(filepath.Join(dir, "h.ris"))
	if n := strings.Count(string(b), "\r\nER  - \r\n"); n != len(truth) || !strings.HasPrefix(string(b), "TY  - GEN\r\n") {
		t.Errorf("h.ris: %d records, want %d", n, len(truth))
	}
}

// `export --help` names every format --format takes, Dublin Core and RIS
// included.
func TestExportHelpNamesEveryFormat(t *testing.T) {
	code, stdout, _ := run(t, t.TempDir(), "export", "--help")
	if code != 0 {
		t.Fatalf("export --help: exit %d", code)
	}
	var line string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.Contains(l, "--format") {
			line = l
		}
	}
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == ',' || r == '(' || r == ')' }) {
		words[w] = true
	}
	for _, f := range export.Formats {
		if !words[f] {
			t.Errorf("--format's help %q does not name %s", line, f)
		}
	}
}
