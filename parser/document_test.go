package parser

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/harvest-archive/harvest"
)

func readDocPage(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "documents", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const wilsonDocURL = "https://digitalarchive.wilsoncenter.org/document/journal-soviet-ambassador-dprk-v-i-ivanov-7-december-1955"

// wilsonFull is what the full Wilson document page holds, written out by
// hand from the page: every field.
func wilsonFull() harvest.Document {
	const site = "https://digitalarchive.wilsoncenter.org"
	return harvest.Document{
		URL:      wilsonDocURL,
		NodeID:   "119270",
		Title:    "Journal of Soviet Ambassador to the DPRK V. I. Ivanov for 7 December 1955",
		Date:     "1955-12-07",
		DateText: "December 7, 1955",
		Summary: "Ivanov speaks with Kim Il Sung about the proceedings of the most recent KWP CC plenum.\n\n" +
			"Ivanov advises against categorizing party members as Soviet, Chinese, or local.",
		Fields: []harvest.Field{
			{Key: "source", Label: "Source", Values: []string{"AVP RF, f. 0102, op. 11, p. 60, d. 8, ll. 1-12. Translated by Gary Goldberg."}},
			{Key: "original_uploaded_date", Label: "Original Uploaded Date", Values: []string{"2014-05-21"}},
			{Key: "rights", Label: "Rights", Values: []string{"The History and Public Policy Program welcomes reuse of this document."}},
			{Key: "record_id", Label: "Record ID", Values: []string{"119270"}},
			{Key: "original_classification", Label: "Original Classification", Values: []string{"Top Secret"}},
			{Key: "author", Label: "Author", Values: []string{"Ivanov, Vasily Ivanovich, 1902-1977"}},
			{Key: "associated_places", Label: "Associated Places", Values: []string{"Korea (North)", "Soviet Union"}},
			{Key: "subjects", Label: "Subjects Discussed", Values: []string{"Korea (North)--Politics and government", "Korean Workers' Party", "Agriculture--Korea (North)"}},
			{Key: "associated_people", Label: "Associated People", Values: []string{"Kim, Il-sŏng, 1912-1994", "Pak, Ch'ang-ok", "Pak, Yŏng-bin"}},
			{Key: "document_contributor", Label: "Document Contributor", Values: []string{"North Korea International Documentation Project"}},
			{Key: "original_archive", Label: "Original Archive", Values: []string{"Archive of Foreign Policy, Russian Federation (AVPRF)"}},
			{Key: "language", Label: "Languages", Values: []string{"Russian", "English"}},
			{Key: "donors", Label: "Donors", Values: []string{"Korea Foundation"}},
		},
		Texts: []harvest.Text{
			{Label: "English Translation", Body: "From the journal of\n\nV. I. Ivanov\n\n7 December 1955\n\nI visited Kim Il Sung and, on instructions from the Center, informed him of the plenum's results."},
			{Label: "Original Scan Text", Body: "Из дневника В. И. Иванова\n\n7 декабря 1955 года"},
		},
		Links: []harvest.Link{
			{URL: site + "/sites/default/files/shared-media/imported_document_original_file/119270.pdf", Label: "Original Scan (Russian)"},
			{URL: site + "/document/119270/download", Label: "Download PDF"},
			{URL: site + "/sites/default/files/shared-media/translations/119270_translation.pdf", Label: "Translation"},
		},
	}
}

// The full Wilson document page: every field compared with what the page
// holds, by the wilson profile.
func TestParseDocumentWilsonFull(t *testing.T) {
	got, err := ParseDocument(readDocPage(t, "wilson-full.html"), wilsonDocURL, mustProfile(t, "wilson"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wilsonFull(), got); diff != "" {
		t.Errorf("document (-want +got):\n%s", diff)
	}
}

// Labels the profile does not know are kept, with Key "" and the page's
// words; the known ones still map.
func TestParseDocumentUnknownLabels(t *testing.T) {
	got, err := ParseDocument(readDocPage(t, "wilson-unknown-labels.html"), wilsonDocURL, mustProfile(t, "wilson"))
	if err != nil {
		t.Fatal(err)
	}
	want := wilsonFull()
	extra := []harvest.Field{
		{Label: "Physical Description", Values: []string{"12 typewritten pages, with handwritten marginalia"}},
		{Label: "Box / Folder", Values: []string{"Box 14", "Folder 3"}},
	}
	want.Fields = append(want.Fields[:4], append(extra, want.Fields[4:]...)...)
	want.Fields = append(want.Fields,
		harvest.Field{Label: "Collections", Values: []string{"North Korea in the Cold War", "The August Plenum, 1956"}},
		harvest.Field{Label: "THEMES", Values: []string{"Cold War History"}})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("document (-want +got):\n%s", diff)
	}
	if v := got.Value("Box / Folder"); len(v) != 2 {
		t.Errorf(`Value("Box / Folder") = %q`, v)
	}
}

// A page missing half its fields is no error: what is there is read, the
// rest is empty.
func TestParseDocumentMissingHalf(t *testing.T) {
	got, err := ParseDocument(readDocPage(t, "wilson-half.html"), wilsonDocURL, mustProfile(t, "wilson"))
	if err != nil {
		t.Fatal(err)
	}
	full := wilsonFull()
	want := harvest.Document{
		URL: wilsonDocURL, NodeID: "119270", Title: full.Title,
		Fields: []harvest.Field{full.Fields[0], full.Fields[5], full.Fields[11]},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("document (-want +got):\n%s", diff)
	}
}

// Pages of other archives' software, read by auto (and, for the Wilson
// pages, by auto too): golden files under testdata/documents/. Run with
// -update to rewrite them, then read the diff. Each case also names the
// keys and labels auto must find, so that a golden file cannot quietly
// bless a miss.
func TestParseDocumentGolden(t *testing.T) {
	tests := []struct {
		page, url, profile string
		title              string
		keys               []string // canonical keys that must be there
		labels             []string // unknown labels that must be kept
		links              int
		summary, date      string
	}{
		{"omeka-s-item.html", "https://papers.example.org/s/cold-war-letters/item/1020", "auto",
			"Letter from Kim Il Sung to Stalin, 14 March 1950",
			[]string{"author", "subjects", "language", "rights"}, []string{"Extent", "Bibliographic Citation"}, 2,
			"Kim asks for the delivery of arms and ammunition in advance of the 1951 allotment.", "1950-03-14"},
		{"archivesspace-object.html", "https://manuscripts.example.edu/repositories/2/archival_objects/8812", "auto",
			"Telegram, Mikoyan to the CPSU Central Committee, 1956 September 17",
			[]string{"record_id", "language", "subjects"}, []string{"Conditions Governing Access", "Extent", "Agent"}, 1,
			"Mikoyan reports on an unsuccessful meeting with a number of Korean delegates.\n\nHe asks for further instructions.", "1956-09-17"},
		{"contentdm-item.html", "https://cdm.example.org/digital/collection/cwic/id/2214", "auto",
			"Record of Conversation with Zhou Enlai",
			[]string{"author", "subjects", "language", "record_id", "rights"}, []string{"Format", "Digitization Specifications"}, 1,
			"Gromyko and Zhou discuss the positions to take at the Geneva Conference on Korea and Indochina.", "1954-05-14"},
		{"drupal-fields.html", "https://party.example.org/node/5521", "auto",
			"Minutes of the Politburo, 12 July 1956",
			[]string{"author", "associated_places", "original_archive"}, []string{"Fond / Opis / Delo"}, 2,
			"", "1956-07-12"},
		{"wilson-full.html", wilsonDocURL, "auto",
			"Journal of Soviet Ambassador to the DPRK V. I. Ivanov for 7 December 1955",
			[]string{"source", "rights", "record_id", "author", "subjects", "language", "donors"}, nil, 3,
			"", ""},
	}
	for _, tt := range tests {
		name := strings.TrimSuffix(tt.page, ".html") + "." + tt.profile
		t.Run(name, func(t *testing.T) {
			got, err := ParseDocument(readDocPage(t, tt.page), tt.url, mustProfile(t, tt.profile))
			if err != nil {
				t.Fatal(err)
			}
			if got.Title != tt.title {
				t.Errorf("title = %q, want %q", got.Title, tt.title)
			}
			for _, k := range tt.keys {
				if len(got.Value(k)) == 0 {
					t.Errorf("no field %q", k)
				}
			}
			for _, l := range tt.labels {
				found := false
				for _, f := range got.Fields {
					found = found || f.Key == "" && f.Label == l && len(f.Values) > 0
				}
				if !found {
					t.Errorf("unknown label %q not kept", l)
				}
			}
			if len(got.Links) != tt.links {
				t.Errorf("%d links, want %d: %+v", len(got.Links), tt.links, got.Links)
			}
			if tt.summary != "" && got.Summary != tt.summary {
				t.Errorf("summary = %q, want %q", got.Summary, tt.summary)
			}
			if tt.date != "" && got.Date != tt.date {
				t.Errorf("date = %q (%q), want %q", got.Date, got.DateText, tt.date)
			}
			gotJSON, _ := json.MarshalIndent(got, "", "  ")
			golden := filepath.Join("testdata", "documents", name+".json")
			if *update {
				if err := os.WriteFile(golden, append(gotJSON, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			wantJSON, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			var want harvest.Document
			if err := json.Unmarshal(wantJSON, &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("document (-want +got):\n%s", diff)
			}
		})
	}
}

// Garbage, empty and non-HTML input gives an empty document (or, for a bad
// URL, an error naming it), never a panic.
func TestParseDocumentGarbage(t *testing.T) {
	tests := []struct {
		name, body, url string
		wantErr         bool
	}{
		{"empty", "", wilsonDocURL, false},
		{"spaces", " \n\t ", wilsonDocURL, false},
		{"binary", "%PDF-1.4\n\x00\x01\x02\xff\xfe binary \x00", wilsonDocURL, false},
		{"json", `{"title":"x","fields":[1,2,3]}`, wilsonDocURL, false},
		{"unclosed", "<html><body><dl><dt>Author<dd>X<dt><dd><table><tr><td>A<td>", wilsonDocURL, false},
		{"deep", strings.Repeat("<div>", 5000) + "x", wilsonDocURL, true}, // x/net/html refuses it
		{"bad url", "<h1>x</h1>", "http://[::1", true},
	}
	for _, tt := range tests {
		for _, prof := range []string{"wilson", "auto"} {
			t.Run(tt.name+"."+prof, func(t *testing.T) {
				got, err := ParseDocument([]byte(tt.body), tt.url, mustProfile(t, prof))
				if (err != nil) != tt.wantErr {
					t.Fatalf("err = %v, want error %v", err, tt.wantErr)
				}
				if err != nil && !strings.Contains(err.Error(), tt.url) {
					t.Errorf("error %q does not name the page", err)
				}
				if err == nil && (got.URL != tt.url || len(got.Links) != 0) {
					t.Errorf("got %+v", got)
				}
			})
		}
	}
	// A page that merely carries a challenge service's script is a page.
	page := strings.Replace(string(readDocPage(t, "wilson-full.html")), "</body>", `<script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js"></script></body>`, 1)
	if _, err := ParseDocument([]byte(page), wilsonDocURL, mustProfile(t, "wilson")); err != nil {
		t.Errorf("document with a challenge-platform script: %v", err)
	}
}

// A profile file's document section is read, checked and used.
func TestLoadProfileDocument(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"name":"party","document":{"title":"h1 .field--name-title","block":".field","label":".field__label","value":".field__item",
		"attachments":".file a","node_id":"/node/(\\d+)","labels":{"Fond / Opis / Delo":"record_id"}}}`)
	p, err := LoadProfile(good)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseDocument(readDocPage(t, "drupal-fields.html"), "https://party.example.org/node/5521", p)
	if err != nil {
		t.Fatal(err)
	}
	if got.NodeID != "5521" || got.Title != "Minutes of the Politburo, 12 July 1956" || len(got.Links) != 2 {
		t.Errorf("node %q, title %q, links %+v", got.NodeID, got.Title, got.Links)
	}
	if v := got.Value("record_id"); len(v) != 1 || v[0] != "3 / 12 / 1005" {
		t.Errorf("record_id = %q (labels mapping not used)", v)
	}
	for _, bad := range []struct{ body, want string }{
		{`{"document":{"title":"h1["}}`, "document.title"},
		{`{"document":{"node_id":"node/\\d+"}}`, "group"},
		{`{"document":{"labels":{"Fond":"fond"}}}`, "no key"},
		{`{"document":{"titel":"h1"}}`, "unknown field"},
	} {
		if _, err := LoadProfile(write("bad.json", bad.body)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err = %v, want one saying %q", bad.body, err, bad.want)
		}
	}
}

func FuzzParseDocument(f *testing.F) {
	for _, name := range []string{"wilson-full.html", "omeka-s-item.html", "contentdm-item.html"} {
		f.Add(readDocPage(f, name))
	}
	f.Add([]byte("<dl><dt>a<dd>b</dl><table><tr><th>x<td>y</table>"))
	wilson, auto := mustProfile(f, "wilson"), mustProfile(f, "auto")
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, p := range []Profile{wilson, auto} {
			doc, err := ParseDocument(body, wilsonDocURL, p)
			if err != nil && !errors.Is(err, harvest.ErrChallenge) {
				t.Fatalf("error on a page: %v", err)
			}
			for _, l := range doc.Links {
				if !strings.HasPrefix(l.URL, "http") {
					t.Fatalf("link %q not absolute", l.URL)
				}
			}
			for _, fl := range doc.Fields {
				if fl.Label == "" || len(fl.Values) == 0 {
					t.Fatalf("empty field %+v", fl)
				}
			}
		}
	})
}
