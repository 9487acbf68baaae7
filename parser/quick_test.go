package parser

import (
	"fmt"
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
	// every weekday, in three cases
	names := weekdayRe.String()
	names = names[strings.Index(names, "(?:")+3 : strings.Index(names, `)\.`)]
	for _, w := range strings.Split(names, "|") {
		toks = append(toks, w, strings.ToUpper(w), strings.ToUpper(w[:1])+w[1:], w+"x")
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
		for n := range 4 {
			if got, want := atLeastWords(s, n), len(strings.Fields(s)) >= n; got != want {
				t.Fatalf("atLeastWords(%q, %d) = %v, strings.Fields says %v", s, n, got, want)
			}
		}
		if mayBeMeta(s) != true && metaLineRe.MatchString(s) {
			t.Fatalf("mayBeMeta(%q) is false, yet metaLineRe matches", s)
		}
	}
}

func TestPartFormat(t *testing.T) {
	for _, p := range []part{{1955, 12, 7}, {1955, 12, 0}, {1955, 0, 0}, {5, 1, 1}, {12345, 21, 0}, {0, 0, 0}, {999, 9, 31}, {10, 10, 10}, {100, 0, 3}, {-5, 1, 2}} {
		var want string
		switch {
		case p.day != 0:
			want = fmt.Sprintf("%04d-%02d-%02d", p.year, p.month, p.day)
		case p.month != 0:
			want = fmt.Sprintf("%04d-%02d", p.year, p.month)
		default:
			want = fmt.Sprintf("%04d", p.year)
		}
		if got := p.format(); got != want {
			t.Errorf("%v.format() = %q, want %q", p, got, want)
		}
	}
}
