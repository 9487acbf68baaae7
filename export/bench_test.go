package export_test

import (
	"io"
	"testing"
	"time"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/export"
)

// BenchmarkEncoders encodes one record per op in each format.
func BenchmarkEncoders(b *testing.B) {
	r := harvest.Record{URL: "https://digitalarchive.wilsoncenter.org/document/telegram-mikoyan-cpsu-central-committee-0",
		Title: "Telegram from A. Mikoyan to the CPSU Central Committee", Date: "1956-09-21", DateText: "September 21, 1956",
		Summary:    `A meeting with Kim Il Sung reveals the main goals of the "Sino-Soviet" delegation: to convince the Korean Workers' Party, & more.`,
		ListingURL: "https://digitalarchive.wilsoncenter.org/search?page=8", FirstSeen: time.Now(), LastSeen: time.Now()}
	for _, format := range export.Formats {
		b.Run(format, func(b *testing.B) {
			enc, err := export.New(format, io.Discard, harvest.Fields)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := enc.Encode(r.Values()); err != nil {
					b.Fatal(err)
				}
			}
			enc.Close()
		})
	}
}
