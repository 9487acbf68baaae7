package edtf_test

import (
	"testing"

	"github.com/harvest-archive/harvest/edtf"
	"github.com/harvest-archive/harvest/parser"
)

func TestBounds(t *testing.T) {
	tests := []struct {
		in, start, end string
		ok             bool
	}{
		{"1956-09-17", "1956-09-17", "1956-09-17", true},
		{"1956-09", "1956-09-01", "1956-09-30", true},
		{"1956-02", "1956-02-01", "1956-02-29", true}, // leap year
		{"1955-02", "1955-02-01", "1955-02-28", true},
		{"1956", "1956-01-01", "1956-12-31", true},
		{"1956~", "1956-01-01", "1956-12-31", true},
		{"1956?", "1956-01-01", "1956-12-31", true},
		{"1956%", "1956-01-01", "1956-12-31", true},
		{"1955-12~", "1955-12-01", "1955-12-31", true},
		{"?1956-06~-11", "1956-06-11", "1956-06-11", true}, // level 2 qualifiers in place
		{"195X", "1950-01-01", "1959-12-31", true},
		{"19XX", "1900-01-01", "1999-12-31", true},
		{"1956-XX", "1956-01-01", "1956-12-31", true},
		{"1956-02-XX", "1956-02-01", "1956-02-29", true},
		{"1956-1X", "1956-10-01", "1956-12-31", true},
		{"1956-21", "1956-03-01", "1956-05-31", true}, // spring
		{"1956-22", "1956-06-01", "1956-08-31", true},
		{"1956-23", "1956-09-01", "1956-11-30", true},
		{"1956-24", "1956-12-01", "1957-02-28", true}, // winter runs into the next year
		{"1955-24", "1955-12-01", "1956-02-29", true},
		{"1956-09-17/1956-09-19", "1956-09-17", "1956-09-19", true},
		{"1956-09/1956-10", "1956-09-01", "1956-10-31", true},
		{"1955/1957", "1955-01-01", "1957-12-31", true},
		{"1956~/1957~", "1956-01-01", "1957-12-31", true},
		{"1956-09-17/..", "1956-09-17", "", true},
		{"../1956", "", "1956-12-31", true},
		{"/1956-03", "", "1956-03-31", true},
		{"1956/", "1956-01-01", "", true},
		{"0001", "0001-01-01", "0001-12-31", true},
		{"", "", "", false},
		{"../..", "", "", false},
		{"/", "", "", false},
		{"1957/1955", "", "", false},      // backwards
		{"1956-02-30", "", "", false},     // no such day
		{"1956-13", "", "", false},        // no such month
		{"1956-25", "", "", false},        // a level 2 season
		{"1956-21-01", "", "", false},     // a season has no days
		{"0000", "", "", false},           // year zero: before the calendar dates have
		{"-0500", "", "", false},          // negative years
		{"Y170000002", "", "", false},     // exponent years
		{"[1956,1957]", "", "", false},    // sets
		{"1956/1957/1958", "", "", false}, // not an interval
		{"56", "", "", false},
		{"1956-9-17", "", "", false},
		{"December 1955", "", "", false},
		{"1956-09-17T10:00:00Z", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			start, end, ok := edtf.Bounds(tt.in)
			if start != tt.start || end != tt.end || ok != tt.ok {
				t.Errorf("Bounds(%q) = %q, %q, %v; want %q, %q, %v", tt.in, start, end, ok, tt.start, tt.end, tt.ok)
			}
		})
	}
}

// Every value the parser writes has bounds: the dates of parser's own
// examples, and whatever the fuzzer makes it write.
func TestBoundsOfParsedDates(t *testing.T) {
	for _, in := range parsedExamples {
		norm := parser.NormalizeDate(in)
		if norm == "" {
			t.Errorf("NormalizeDate(%q) is empty: the example is stale", in)
			continue
		}
		if start, end, ok := edtf.Bounds(norm); !ok || start == "" || end == "" || end < start {
			t.Errorf("Bounds(%q) (from %q) = %q, %q, %v", norm, in, start, end, ok)
		}
	}
}

var parsedExamples = []string{
	"December 7, 1955", "December 1955", "1955", "c. 1956", "ca. December 1955", "1956?",
	"[1956]", "c. 1956?", "1950s", "Spring 1956", "Winter 1956", "September 17-19, 1956",
	"September 30 - October 2, 1956", "December 30, 1955 - January 2, 1956",
	"September-October 1956", "1955-1956", "between 1955 and 1957", "c. 1955 - 1957",
	"February 29, 1956", "Spring-Summer 1956",
}

func FuzzBoundsOfParsedDates(f *testing.F) {
	for _, s := range parsedExamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		norm := parser.NormalizeDate(in)
		start, end, ok := edtf.Bounds(norm)
		if norm == "" {
			if ok {
				t.Errorf("Bounds(\"\") ok")
			}
			return
		}
		if !ok || start == "" || end == "" || end < start {
			t.Errorf("Bounds(%q) (from %q) = %q, %q, %v", norm, in, start, end, ok)
		}
	})
}

func BenchmarkBounds(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range []string{"1956-09-17", "1956~", "195X", "1956-09-17/1956-09-19"} {
			edtf.Bounds(s)
		}
	}
}
