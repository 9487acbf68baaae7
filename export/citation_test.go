package export_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/export"
)

// dcmes are the 15 elements of the Dublin Core Metadata Element Set, the
// only ones oai_dc allows.
var dcmes = map[string]bool{
	"title": true, "creator": true, "subject": true, "description": true, "publisher": true,
	"contributor": true, "date": true, "type": true, "format": true, "identifier": true,
	"source": true, "language": true, "relation": true, "coverage": true, "rights": true,
}

// The Dublin Core export parses as XML; each record is an oai_dc:dc element
// in the oai_dc namespace holding only DCMES elements in the dc namespace,
// with the schema location oai_dc's XSD asks for.
func TestDublinCore(t *testing.T) {
	hostile := append(records{{URL: "https://a.example/document/9?a=1&b=<2>", Title: "Bad \x00 control \x1b chars & <tags> ]]>", Summary: "\"quotes\" 'too'"}}, detailRecords...)
	var buf bytes.Buffer
	if _, err := export.WriteDetails(context.Background(), reader{hostile, detailDocs}, "dc", &buf, export.Options{}); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&buf)
	type elem struct{ space, local, text string }
	var recs [][]elem
	depth := 0
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("XML: %v\n%s", err, buf.String())
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
			switch depth {
			case 1:
				if tok.Name.Space != export.NamespaceHarvest || tok.Name.Local != "records" {
					t.Errorf("root %v", tok.Name)
				}
			case 2:
				if tok.Name.Space != export.NamespaceOAIDC || tok.Name.Local != "dc" {
					t.Errorf("record element %v, want oai_dc:dc", tok.Name)
				}
				loc := ""
				for _, a := range tok.Attr {
					if a.Name.Space == export.NamespaceXSI && a.Name.Local == "schemaLocation" {
						loc = a.Value
					}
				}
				if loc != export.NamespaceOAIDC+" http://www.openarchives.org/OAI/2.0/oai_dc.xsd" {
					t.Errorf("schemaLocation %q", loc)
				}
				recs = append(recs, nil)
			case 3:
				if tok.Name.Space != export.NamespaceDC || !dcmes[tok.Name.Local] {
					t.Errorf("element %v is not a DCMES element in %s", tok.Name, export.NamespaceDC)
				}
				text.Reset()
			default:
				t.Errorf("element %v nested inside a dc element", tok.Name)
			}
		case xml.CharData:
			if depth == 3 {
				text.Write(tok)
			}
		case xml.EndElement:
			if depth == 3 {
				recs[len(recs)-1] = append(recs[len(recs)-1], elem{tok.Name.Space, tok.Name.Local, text.String()})
			}
			depth--
		}
	}
	if len(recs) != len(hostile) {
		t.Fatalf("%d records, want %d", len(recs), len(hostile))
	}
	got := map[string][]string{}
	for _, e := range recs[1] {
		got[e.local] = append(got[e.local], e.text)
	}
	d := detailDocs[0]
	want := map[string][]string{
		"title":       {d.Title},
		"date":        {"1956-09-17"},
		"creator":     d.Value("author"),
		"subject":     append(d.Value("subjects"), d.Value("associated_people")...),
		"coverage":    d.Value("associated_places"),
		"language":    d.Value("language"),
		"contributor": d.Value("donors"),
		"source":      append(d.Value("source"), d.Value("original_archive")...),
		"rights":      d.Value("rights"),
		"identifier":  {d.URL, "119397"},
		"relation":    {d.Links[0].URL, d.Links[1].URL},
		"description": {d.Summary},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record 1 (-want +got):\n%s", diff)
	}
	if title := recs[0][0].text; title != "Bad \uFFFD control \uFFFD chars & <tags> ]]>" {
		t.Errorf("hostile title read back as %q", title)
	}
}

// Every RIS line is "XX  - value" with a tag of the format; each record
// starts with TY and ends with ER.
func TestRIS(t *testing.T) {
	var buf bytes.Buffer
	if _, err := export.WriteDetails(context.Background(), reader{detailRecords, detailDocs}, "ris", &buf, export.Options{}); err != nil {
		t.Fatal(err)
	}
	risTags := map[string]bool{}
	for _, tag := range strings.Fields("TY TI DA PY AU KW LA A2 DB DP ID UR L1 AB N1 ER") {
		risTags[tag] = true
	}
	line := regexp.MustCompile(`^([A-Z][A-Z0-9])  - (.*)$`)
	if out := buf.String(); strings.Count(out, "\n") != strings.Count(out, "\r\n") {
		t.Errorf("a line does not end in CRLF:\n%q", out)
	}
	sc := bufio.NewScanner(&buf) // drops the CR of each line
	var recs []map[string][]string
	var rec map[string][]string
	last := ""
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if l == "" {
			if last != "ER" {
				t.Errorf("line %d: a blank line inside a record", n)
			}
			continue
		}
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %d %q is not `XX  - value`", n, l)
		}
		tag, val := m[1], m[2]
		if !risTags[tag] {
			t.Errorf("line %d: tag %s is not one harvest writes", n, tag)
		}
		switch {
		case rec == nil && tag != "TY":
			t.Fatalf("line %d: record starts with %s, not TY", n, tag)
		case rec == nil:
			rec = map[string][]string{}
		case tag == "TY":
			t.Fatalf("line %d: TY inside a record", n)
		case tag == "ER":
			if val != "" {
				t.Errorf("line %d: ER with a value", n)
			}
			recs = append(recs, rec)
			rec = nil
		}
		if rec != nil {
			rec[tag] = append(rec[tag], val)
		}
		last = tag
	}
	if rec != nil || last != "ER" {
		t.Fatal("the last record does not end with ER")
	}
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	d := detailDocs[0]
	want := map[string][]string{
		"TY": {"GEN"}, "TI": {d.Title}, "DA": {"1956/09/17/September 17, 1956"}, "PY": {"1956"},
		"AU": d.Value("author"),
		"KW": append(append(d.Value("subjects"), d.Value("associated_people")...), d.Value("associated_places")...),
		"LA": d.Value("language"), "A2": d.Value("donors"),
		"DB": d.Value("original_archive"), "DP": d.Value("source"), "ID": {"119397"},
		"UR": {d.URL}, "L1": {d.Links[0].URL, d.Links[1].URL},
		"AB": {d.Summary},
		"N1": {"Rights: The Wilson Center", "Box Number: 12", "Digitised By: A | B", `Digitised By: C\D`},
	}
	if diff := cmp.Diff(want, recs[0]); diff != "" {
		t.Errorf("record 1 (-want +got):\n%s", diff)
	}
	// A value's line breaks do not break the format.
	buf.Reset()
	enc := export.NewRISEncoder(&buf)
	enc.EncodeRecord(harvest.Record{URL: "u", Title: "two\nlines\r\nER  - "}, nil)
	enc.Close()
	if got := buf.String(); got != "TY  - GEN\r\nTI  - two lines ER  -\r\nUR  - u\r\nER  - \r\n\r\n" {
		t.Errorf("got %q", got)
	}
}

func TestRISDates(t *testing.T) {
	for _, tt := range []struct{ date, text, da, py string }{
		{"1956-09-17", "September 17, 1956", "1956/09/17/September 17, 1956", "1956"},
		{"1956-09", "", "1956/09//", "1956"},
		{"1956~", "c. 1956", "1956///c. 1956", "1956"},
		{"1956-21", "Spring 1956", "1956///Spring 1956", "1956"},
		{"1956-09-17/1956-09-19", "", "1956/09/17/", "1956"},
		{"195X", "1950s", "///1950s", ""},
		{"", "undated", "///undated", ""},
		{"", "", "", ""},
	} {
		var buf bytes.Buffer
		enc := export.NewRISEncoder(&buf)
		enc.EncodeRecord(harvest.Record{URL: "u", Date: tt.date, DateText: tt.text}, nil)
		enc.Close()
		var da, py string
		for _, l := range strings.Split(buf.String(), "\r\n") {
			if v, ok := strings.CutPrefix(l, "DA  - "); ok {
				da = v
			}
			if v, ok := strings.CutPrefix(l, "PY  - "); ok {
				py = v
			}
		}
		if da != tt.da || py != tt.py {
			t.Errorf("%q: DA %q PY %q, want %q %q", tt.date, da, py, tt.da, tt.py)
		}
	}
}
