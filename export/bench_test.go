package export_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/export"
)

// BenchmarkEncoders encodes one record per op in each table format.
func BenchmarkEncoders(b *testing.B) {
	r := harvest.Record{URL: "https://digitalarchive.wilsoncenter.org/document/telegram-mikoyan-cpsu-central-committee-0",
		Title: "Telegram from A. Mikoyan to the CPSU Central Committee", Date: "1956-09-21", DateText: "September 21, 1956",
		Summary:    `A meeting with Kim Il Sung reveals the main goals of the "Sino-Soviet" delegation: to convince the Korean Workers' Party, & more.`,
		ListingURL: "https://digitalarchive.wilsoncenter.org/search?page=8", FirstSeen: time.Now(), LastSeen: time.Now()}
	for _, format := range export.TableFormats {
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

// BenchmarkExport100k writes 100,000 records per op in every format: the
// records alone (with their date bounds) and with their document pages
// (every other record has one, with every field, two texts and two
// attachments), spreadsheet-safe or not.
func BenchmarkExport100k(b *testing.B) {
	const n = 100_000
	g := generated{n: n}
	ctx := context.Background()
	for _, format := range export.Formats {
		for _, kind := range []string{"records", "details"} {
			b.Run(format+"/"+kind, func(b *testing.B) {
				b.ReportAllocs()
				var out counter
				for b.Loop() {
					var err error
					if kind == "records" {
						_, err = export.WriteRecords(ctx, g, format, &out, export.Options{})
					} else {
						_, err = export.WriteDetails(ctx, g, format, &out, export.Options{})
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(out)/float64(b.N)/(1<<20), "MB/op")
			})
		}
	}
	b.Run("csv/records-safe", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := export.WriteRecords(ctx, g, "csv", io.Discard, export.Options{SpreadsheetSafe: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
