package parser

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// NormalizeDate turns a date as an archive prints it into ISO 8601 / EDTF
// (level 1): "December 7, 1955" -> "1955-12-07", "December 1955" -> "1955-12",
// "1955" -> "1955", "c. 1956" -> "1956~", "1956?" -> "1956?", "1950s" -> "195X",
// "September 17-19, 1956" -> "1956-09-17/1956-09-19", "Spring 1956" -> "1956-21".
//
// It returns "" for an empty date and for anything it cannot read for
// certain, such as "12/07/1955" (month or day first?) or a non-existent day:
// it never guesses.
func NormalizeDate(s string) string {
	t := strings.ToLower(collapseSpace(s))
	t = dashes.Replace(t)
	t = strings.TrimSpace(strings.TrimRight(t, "."))
	if t == "" {
		return ""
	}
	qual := ""
	if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
		// Cataloguers bracket a date they inferred: keep it, marked uncertain.
		t = strings.TrimSpace(t[1 : len(t)-1])
		qual = "?"
	}
	if strings.HasSuffix(t, "?") {
		t = strings.TrimSpace(strings.TrimSuffix(t, "?"))
		qual = "?"
	}
	for _, p := range approxPrefixes {
		if strings.HasPrefix(t, p) {
			t = strings.TrimSpace(t[len(p):])
			if qual == "?" {
				qual = "%"
			} else {
				qual = "~"
			}
			break
		}
	}
	if t == "" {
		return ""
	}
	if d, ok := parseDecade(t); ok {
		if qual != "" {
			return "" // EDTF level 1 has no qualified unspecified digits
		}
		return d
	}
	if p, ok := parsePart(t); ok && p.valid() {
		return p.format() + qual
	}
	left, right, ok := splitRange(t)
	if !ok {
		return ""
	}
	l, ok1 := parsePart(left)
	r, ok2 := parsePart(right)
	if !ok1 || !ok2 {
		return ""
	}
	if l.year == 0 {
		l.year = r.year
	}
	if r.year == 0 {
		r.year = l.year
	}
	if r.month == 0 && r.day != 0 {
		r.month = l.month
	}
	if l.month == 0 && l.day != 0 {
		return ""
	}
	if l.year == 0 || !l.valid() || !r.valid() || r.before(l) {
		return ""
	}
	if l == r {
		return l.format() + qual
	}
	return l.format() + qual + "/" + r.format() + qual
}

var dashes = strings.NewReplacer("–", "-", "—", "-", "‒", "-", "−", "-")

var approxPrefixes = []string{"circa ", "approximately ", "approx. ", "approx ", "about ", "around ", "ca. ", "ca ", "c. ", "c ", "c."}

// part is a calendar date of year, month or day precision. Months 21-24 are
// the EDTF seasons.
type part struct{ year, month, day int }

func (p part) format() string {
	switch {
	case p.day != 0:
		return fmt.Sprintf("%04d-%02d-%02d", p.year, p.month, p.day)
	case p.month != 0:
		return fmt.Sprintf("%04d-%02d", p.year, p.month)
	default:
		return fmt.Sprintf("%04d", p.year)
	}
}

func (p part) valid() bool {
	if p.year == 0 {
		return false
	}
	if p.month > 12 && (p.month < 21 || p.month > 24 || p.day != 0) {
		return false
	}
	if p.day == 0 {
		return true
	}
	if p.month == 0 {
		return false
	}
	last := time.Date(p.year, time.Month(p.month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return p.day <= last
}

// before compares two parts on what both of them specify.
func (p part) before(q part) bool {
	if p.year != q.year {
		return p.year < q.year
	}
	if p.month == 0 || q.month == 0 || p.month > 12 || q.month > 12 || p.month != q.month {
		return p.month != 0 && q.month != 0 && p.month < q.month
	}
	return p.day != 0 && q.day != 0 && p.day < q.day
}

// parsePart reads one date, possibly missing its year or month (the halves of a
// range like "September 17-19, 1956"). ok is false when any token is not part of
// a date.
func parsePart(s string) (part, bool) {
	if p, ok := parseISO(s); ok {
		return p, true
	}
	var p part
	var order []byte // 'y', 'm', 'd' in the order met
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' }) {
		tok = strings.TrimSuffix(tok, ".")
		if m, ok := monthNames[tok]; ok {
			if p.month != 0 {
				return part{}, false
			}
			p.month = m
			order = append(order, 'm')
			continue
		}
		if fillers[tok] {
			continue // "7th of December 1955", "7 de diciembre de 1955", "7 декабря 1955 г."
		}
		tok = trimOrdinal(tok)
		n, err := strconv.Atoi(tok)
		if err != nil || n <= 0 {
			return part{}, false
		}
		switch {
		case len(tok) == 4 && p.year == 0:
			p.year = n
			order = append(order, 'y')
		case len(tok) <= 2 && n <= 31 && p.day == 0 && (p.year == 0 || p.month != 0):
			p.day = n
			order = append(order, 'd')
		default:
			return part{}, false
		}
	}
	switch string(order) {
	case "mdy", "dmy", "my", "y", "md", "dm", "d", "m", "ym", "ymd", "dy":
	default:
		return part{}, false
	}
	if p.month > 12 && p.day != 0 {
		return part{}, false
	}
	return p, true
}

func parseISO(s string) (part, bool) {
	if d, t, ok := strings.Cut(s, "t"); ok && len(d) == 10 && len(t) >= 2 && t[0] >= '0' && t[0] <= '9' {
		s = d // a timestamp: the date is what a listing means
	}
	fields := strings.Split(s, "-")
	if len(fields) > 3 || len(fields[0]) != 4 {
		return part{}, false
	}
	var nums [3]int
	for i, f := range fields {
		if (i > 0 && len(f) != 2) || !allDigits(f) {
			return part{}, false
		}
		nums[i], _ = strconv.Atoi(f)
	}
	p := part{nums[0], nums[1], nums[2]}
	if p.year == 0 || (len(fields) > 1 && (p.month == 0 || p.month > 12)) || (len(fields) > 2 && !p.valid()) {
		return part{}, false
	}
	return p, true
}

func parseDecade(s string) (string, bool) {
	s = strings.TrimPrefix(s, "the ")
	if len(s) == 5 && strings.HasSuffix(s, "0s") && allDigits(s[:4]) {
		return s[:3] + "X", true
	}
	return "", false
}

// splitRange splits "A - B", "A to B", "between A and B", "A/B" and "A-B".
func splitRange(s string) (string, string, bool) {
	if rest, ok := strings.CutPrefix(s, "between "); ok {
		if l, r, ok := strings.Cut(rest, " and "); ok {
			return strings.TrimSpace(l), strings.TrimSpace(r), true
		}
		return "", "", false
	}
	for _, sep := range []string{"/", " - ", " to ", " through ", " until "} {
		if l, r, ok := strings.Cut(s, sep); ok && !strings.Contains(r, sep) {
			return strings.TrimSpace(l), strings.TrimSpace(r), true
		}
	}
	if strings.Count(s, "-") == 1 {
		l, r, _ := strings.Cut(s, "-")
		return strings.TrimSpace(l), strings.TrimSpace(r), true
	}
	return "", "", false
}

func trimOrdinal(tok string) string {
	for _, suf := range []string{"st", "nd", "rd", "th"} {
		if len(tok) > 2 && strings.HasSuffix(tok, suf) && allDigits(tok[:len(tok)-2]) {
			return tok[:len(tok)-2]
		}
	}
	return tok
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// fillers are words that stand between the parts of a date.
var fillers = map[string]bool{"of": true, "de": true, "del": true, "г": true, "года": true, "the": true}

// monthNames are the months (and EDTF seasons, 21-24) in English, French,
// German, Spanish, Italian and Russian (genitive, as dates write them), in
// lower case. A month name in another language leaves the date unread.
var monthNames = map[string]int{
	"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3,
	"april": 4, "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7,
	"august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "october": 10,
	"oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
	"spring": 21, "summer": 22, "autumn": 23, "fall": 23, "winter": 24,

	"janvier": 1, "février": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
	"août": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
	"januar": 1, "februar": 2, "märz": 3, "juni": 6, "juli": 7, "oktober": 10, "dezember": 12,
	"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
	"agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
	"gennaio": 1, "febbraio": 2, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7,
	"settembre": 9, "ottobre": 10, "dicembre": 12,
	"января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6, "июля": 7,
	"августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
}

// looksLikeDate reports whether s, a short run of text, reads as a date. The
// auto strategy uses it to find the date line of a record block.
func looksLikeDate(s string) bool {
	if len(s) > 60 || len(s) < 4 || !strings.ContainsAny(s, "0123456789") {
		return false // every date harvest reads has a year
	}
	return NormalizeDate(s) != ""
}
