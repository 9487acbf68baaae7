package parser

import (
	"strings"
	"testing"
)

func BenchmarkParseListing(b *testing.B) {
	body := readPage(b, "wilson-search-page-8.html")
	for _, name := range []string{"wilson", "auto"} {
		p := mustProfile(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := ParseListing(body, "https://digitalarchive.wilsoncenter.org/search?page=8", p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNormalizeDate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		NormalizeDate("September 17-19, 1956")
	}
}

// BenchmarkParseDocument reads the full Wilson document page with the
// wilson profile, and an Omeka S item page with auto.
func BenchmarkParseDocument(b *testing.B) {
	for _, tt := range []struct{ page, url, profile string }{
		{"wilson-full.html", wilsonDocURL, "wilson"},
		{"wilson-full.html", wilsonDocURL, "auto"},
		{"omeka-s-item.html", "https://papers.example.org/s/cold-war-letters/item/1020", "auto"},
	} {
		body := readDocPage(b, tt.page)
		p := mustProfile(b, tt.profile)
		b.Run(strings.TrimSuffix(tt.page, ".html")+"."+tt.profile, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseDocument(body, tt.url, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
