package parser

import (
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/fixtures"
)

// Every document page the fixture server serves parses, with the wilson
// profile, to exactly the fixture's truth: every field, text and link.
func TestParseDocumentFixtureArchive(t *testing.T) {
	for _, knobs := range []struct {
		name    string
		set     func(*fixtures.Server)
		archive *fixtures.Archive
	}{
		{"plain", func(*fixtures.Server) {}, fixtures.NewArchive(300, 7)},
		{"hostile", func(s *fixtures.Server) { s.HostileAttachments = true }, fixtures.NewArchive(5, 8)},
		{"redirect", func(s *fixtures.Server) { s.Redirect = true }, fixtures.NewArchive(20, 9)},
	} {
		t.Run(knobs.name, func(t *testing.T) {
			srv := fixtures.NewServer(knobs.archive)
			knobs.set(srv)
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			p := mustProfile(t, "wilson")
			for _, d := range srv.Archive.Docs() {
				resp, err := http.Get(srv.DocURL(d))
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				got, err := ParseDocument(body, srv.DocURL(d), p)
				if err != nil {
					t.Fatalf("%s: %v", d.Slug, err)
				}
				want := srv.Document(d)
				want.Status = 0 // HTTP's, not the parser's
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("%s (-want +got):\n%s", d.Slug, diff)
				}
			}
		})
	}
}

// The site's interstitial and a challenge service's page are ErrChallenge,
// with either profile.
func TestParseDocumentChallenge(t *testing.T) {
	for _, page := range []string{"interstitial.html", "challenge.html"} {
		for _, prof := range []string{"wilson", "auto"} {
			_, err := ParseDocument(readPage(t, page), "https://digitalarchive.wilsoncenter.org/document/1", mustProfile(t, prof))
			if !errors.Is(err, harvest.ErrChallenge) {
				t.Errorf("%s with %s: err = %v, want ErrChallenge", page, prof, err)
			}
		}
	}
}

// Without a profile, auto reads the fixture's document pages to the same
// title, date, fields, texts and links as the wilson profile (the summary,
// which only a class names, aside).
func TestParseDocumentFixtureAuto(t *testing.T) {
	srv := fixtures.NewServer(fixtures.NewArchive(120, 11))
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	p := mustProfile(t, "auto")
	for _, d := range srv.Archive.Docs() {
		resp, err := http.Get(srv.DocURL(d))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got, err := ParseDocument(body, srv.DocURL(d), p)
		if err != nil {
			t.Fatalf("%s: %v", d.Slug, err)
		}
		want := srv.Document(d)
		want.Status, want.Summary, got.Summary = 0, "", ""
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%s (-want +got):\n%s", d.Slug, diff)
		}
	}
}
