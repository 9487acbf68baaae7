package parser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Probe reports the profile's strategy and auto's, with auto's refusals.
func TestProbe(t *testing.T) {
	body := readPage(t, "undated-list.html")
	r := Probe(body, "https://archive.example.net/collection/page/2/", mustProfile(t, "wilson"))
	if len(r.Strategies) != 2 || r.Strategies[0].Name != "wilson" || r.Strategies[1].Name != "auto" {
		t.Fatalf("strategies: %+v", r.Strategies)
	}
	auto := r.Strategies[1]
	if auto.Err != "" || len(auto.Page.Records) != 6 {
		t.Errorf("auto: err %q, %d records", auto.Err, len(auto.Page.Records))
	}
	var nav, aside bool
	for _, f := range auto.Refused {
		nav = nav || f.Why == "inside nav"
		aside = aside || f.Why == "inside aside"
	}
	if !nav || !aside {
		t.Errorf("refusals lack the nav and the sidebar: %+v", auto.Refused)
	}
	if r := Probe(body, "https://archive.example.net/collection/page/2/", mustProfile(t, "auto")); len(r.Strategies) != 1 {
		t.Errorf("auto alone: %d strategies", len(r.Strategies))
	}
}

// A suggested profile, loaded back, reads the same records as auto.
func TestSuggestProfile(t *testing.T) {
	tests := []struct{ page, url string }{
		{"wilson-table.html", "https://digitalarchive.wilsoncenter.org/search?page=8"},
		{"cards.html", "https://collections.example.edu/archive/search?q=politburo&p=6"},
		{"undated-list.html", "https://archive.example.net/collection/page/2/"},
	}
	for _, tt := range tests {
		t.Run(tt.page, func(t *testing.T) {
			body := readPage(t, tt.page)
			js, err := SuggestProfile(body, tt.url, "suggested")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "p.json")
			if err := os.WriteFile(path, js, 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := LoadProfile(path)
			if err != nil {
				t.Fatalf("%v\n%s", err, js)
			}
			if len(p.Records) == 0 {
				t.Fatalf("no record selector:\n%s", js)
			}
			want, _ := ParseListing(body, tt.url, mustProfile(t, "auto"))
			got, err := ParseListing(body, tt.url, p)
			if err != nil {
				t.Fatal(err)
			}
			if got.Strategy != "profile" {
				t.Errorf("strategy %s:\n%s", got.Strategy, js)
			}
			if diff := cmp.Diff(want.Records, got.Records); diff != "" {
				t.Errorf("records (-auto +suggested):\n%s\n%s", diff, js)
			}
			if got.Next != want.Next {
				t.Errorf("next %q, auto %q", got.Next, want.Next)
			}
			if !strings.Contains(string(js), `"name": "suggested"`) {
				t.Errorf("name missing:\n%s", js)
			}
		})
	}
}
