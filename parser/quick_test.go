package parser

import (
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// The cheap looks of quick.go answer as their regular expressions do.
func TestQuickMatchesRegexps(t *testing.T) {
	toks := []string{"Monday", "mon.", "Tue,", "thurs", "Donnerstag,", "пн", "вс", "lundi", "sábado", "ſunday", "12", "5", "1955", "25", "2024", "31", "0", "07", "123", "12345",
		"/", ".", "-", "–", " - ", ":", ",", "|", " | ", " / ", " · ", "•", "@", "at", "um", "à", "a las", "в", "10:30", "9.15", "14h00", "14H00", "10:30:12", "pm", "a.m.", "Uhr", "h",
		"January", "[", "]", "(", ")", "?", "No.", "nr", "Nr.", "#", "n°", "№", "ID", "Case", "caſe", "Docket", "docKet", "Opinion #:", "Date:",
		"Posted", "by", "von", "par", "comments", "3 comments", "Read more", "more", "Tags:", "Kategorie:", "ſchlagworte:", "подробнее", "x", "é", "\u00a0", "  ", "\t",
		"02.12.2022", "12/09/1955", "5/9/55", "1955-12", "1955.", "Leave a comment",
	}
	rng := rand.New(rand.NewSource(1))
	seps := []string{" ", "", ", "}
	for range 50000 {
		var b strings.Builder
		for k := range 1 + rng.Intn(6) {
			if k > 0 {
				b.WriteString(seps[rng.Intn(len(seps))])
			}
			b.WriteString(toks[rng.Intn(len(toks))])
		}
		s := b.String()
		if got, want := isIDLabel(s), idLabelRe.MatchString(s); got != want {
			t.Fatalf("isIDLabel(%q) = %v, idLabelRe says %v", s, got, want)
		}
		if got, want := stripWeekday(s), weekdayRe.ReplaceAllString(s, ""); got != want {
			t.Fatalf("stripWeekday(%q) = %q, weekdayRe gives %q", s, got, want)
		}
		if got, want := timeIndex(s), timeRe.FindStringIndex(s); !slices.Equal(got, want) {
			t.Fatalf("timeIndex(%q) = %v, timeRe gives %v", s, got, want)
		}
		if got, want := stripTime(s), timeRe.ReplaceAllString(s, ""); got != want {
			t.Fatalf("stripTime(%q) = %q, timeRe gives %q", s, got, want)
		}
		m, ok := numericMatch(s)
		if want := numericRe.FindStringSubmatch(s); ok != (want != nil) || ok && !slices.Equal(m[:], want) {
			t.Fatalf("numericMatch(%q) = %q, %v; numericRe gives %q", s, m, ok, want)
		}
		if got, want := splitDateSep(s), dateSepRe.Split(s, -1); !slices.Equal(got, want) {
			t.Fatalf("splitDateSep(%q) = %q, dateSepRe gives %q", s, got, want)
		}
		if mayBeMeta(s) != true && metaLineRe.MatchString(s) {
			t.Fatalf("mayBeMeta(%q) is false, yet metaLineRe matches", s)
		}
	}
}
