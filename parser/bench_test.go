package parser

import (
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
