package parser

import (
	"strings"
	"unicode/utf8"
)

// The date and meta-line heuristics run their regular expressions on every
// line of a page. The functions here look first, cheaply, whether a pattern
// can match at all, and run it only then; numericRe is read by hand. Each
// returns what its regular expression alone would.

// isIDLabel is idLabelRe.MatchString(s). The pattern ends in a digit, and
// starts with an ASCII letter of its labels or a non-ASCII one, or holds a
// '#'.
func isIDLabel(s string) bool {
	if s == "" || !hasDigit(s) {
		return false
	}
	if c := s[0]; c < utf8.RuneSelf && strings.IndexByte("nidcrfNIDCRF", c) < 0 && strings.IndexByte(s, '#') < 0 {
		return false
	}
	return idLabelRe.MatchString(s)
}

// mayBeWeekday reports whether weekdayRe can match s: its names are
// followed by a dot, comma or space, so an ASCII name must be the whole run
// of ASCII letters at the start of s. A run that meets a non-ASCII
// character is left to the pattern.
func mayBeWeekday(s string) bool {
	i := 0
	for i < len(s) && 'a' <= s[i]|0x20 && s[i]|0x20 <= 'z' {
		i++
	}
	if i < len(s) && s[i] >= utf8.RuneSelf {
		return true
	}
	if i == 0 || i > len("donnerstag") {
		return false
	}
	var low [len("donnerstag")]byte
	for j := range i {
		low[j] = s[j] | 0x20
	}
	return weekdayWords[string(low[:i])]
}

// weekdayWords are weekdayRe's ASCII names, and the first words of its
// Portuguese ones.
var weekdayWords = map[string]bool{
	"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true,
	"mon": true, "tue": true, "tues": true, "wed": true, "thu": true, "thur": true, "thurs": true, "fri": true, "sat": true, "sun": true,
	"montag": true, "dienstag": true, "mittwoch": true, "donnerstag": true, "freitag": true, "samstag": true, "sonnabend": true, "sonntag": true,
	"lundi": true, "mardi": true, "mercredi": true, "jeudi": true, "vendredi": true, "samedi": true, "dimanche": true,
	"lunes": true, "martes": true, "miercoles": true, "jueves": true, "viernes": true, "sabado": true, "domingo": true,
	"lunedi": true, "martedi": true, "mercoledi": true, "giovedi": true, "venerdi": true, "sabato": true, "domenica": true,
	"segunda": true, "quarta": true, "quinta": true, "sexta": true,
}

// stripWeekday is weekdayRe.ReplaceAllString(s, "").
func stripWeekday(s string) string {
	if !mayBeWeekday(s) {
		return s
	}
	return weekdayRe.ReplaceAllString(s, "")
}

// mayHaveTime reports whether timeRe can match s: it needs a digit, a time
// separator and two digits in a row.
func mayHaveTime(s string) bool {
	for i := 0; i+3 < len(s); i++ {
		if isDigit(s[i]) {
			switch s[i+1] {
			case ':', '.', 'h', 'H':
				if isDigit(s[i+2]) && isDigit(s[i+3]) {
					return true
				}
			}
		}
	}
	return false
}

// timeIndex is timeRe.FindStringIndex(s).
func timeIndex(s string) []int {
	if !mayHaveTime(s) {
		return nil
	}
	return timeRe.FindStringIndex(s)
}

// stripTime is timeRe.ReplaceAllString(s, "").
func stripTime(s string) string {
	if !mayHaveTime(s) {
		return s
	}
	return timeRe.ReplaceAllString(s, "")
}

// numericMatch is numericRe.FindStringSubmatch(s) (the whole match, then
// day or month, separator, month or day, separator, year), read by hand.
func numericMatch(s string) (m [6]string, ok bool) {
	digits := func(i int) int { // the end of the run of digits at i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		return i
	}
	sep := func(i int) bool { return i < len(s) && (s[i] == '.' || s[i] == '/' || s[i] == '-') }
	a := digits(0)
	if a < 1 || a > 4 || !sep(a) {
		return m, false
	}
	b := digits(a + 1)
	if n := b - (a + 1); n < 1 || n > 2 || !sep(b) {
		return m, false
	}
	c := digits(b + 1)
	if n := c - (b + 1); n != 2 && n != 4 {
		return m, false
	}
	if rest := s[c:]; rest != "" && rest != "." {
		return m, false
	}
	return [6]string{s, s[:a], s[a : a+1], s[a+1 : b], s[b : b+1], s[b+1 : c]}, true
}

// splitDateSep is dateSepRe.Split(s, -1): the pattern needs one of its
// separators.
func splitDateSep(s string) []string {
	if !strings.ContainsAny(s, "|/·•") {
		return []string{s}
	}
	return dateSepRe.Split(s, -1)
}

// mayBeMeta reports whether metaLineRe can match s: its lines start with a
// digit, white space or punctuation of a number, an ASCII letter of its
// words, or a non-ASCII letter.
func mayBeMeta(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	return c >= utf8.RuneSelf || isDigit(c) || strings.IndexByte(" \t\n\f\r.,/#:()-pwfvbnlctksrmPWFVBNLCTKSRM", c) >= 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return true
		}
	}
	return false
}
