package parser

import (
	"fmt"
	"regexp"
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
	if strings.IndexByte(t, 0xE2) >= 0 { // the dashes are all U+2000-U+2FFF
		t = dashes.Replace(t)
	}
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
	b := make([]byte, 0, len("1955-12-07"))
	b = appendPadded(b, p.year, 4)
	if p.day != 0 || p.month != 0 {
		b = appendPadded(append(b, '-'), p.month, 2)
	}
	if p.day != 0 {
		b = appendPadded(append(b, '-'), p.day, 2)
	}
	return string(b)
}

// appendPadded appends n in decimal, zero-padded to width as %0*d does.
func appendPadded(b []byte, n, width int) []byte {
	if n < 0 {
		return fmt.Appendf(b, "%0*d", width, n)
	}
	for d, m := 1, n; d < width; d++ {
		if m /= 10; m == 0 {
			b = append(b, strings.Repeat("0", width-d)...)
			break
		}
	}
	return strconv.AppendInt(b, int64(n), 10)
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

// looksLikeDate reports whether s, a short run of text, reads as a date as
// displayed: one NormalizeDate reads, or one it cannot normalise for certain
// but that is plainly a date (a weekday or a time beside it, "05/09/25").
// The auto strategy uses it to find the date line of a record block.
func looksLikeDate(s string) bool {
	_, ok := displayedDate(s)
	return ok
}

var (
	weekdayRe = regexp.MustCompile(`(?i)^(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|miércoles|miercoles|jueves|viernes|sábado|sabado|domingo|lunedì|lunedi|martedì|martedi|mercoledì|mercoledi|giovedì|giovedi|venerdì|venerdi|sabato|domenica|segunda-feira|terça-feira|quarta-feira|quinta-feira|sexta-feira|понедельник|вторник|среда|четверг|пятница|суббота|воскресенье|пн|вт|ср|чт|пт|сб|вс)\.?,?\s+`)
	timeRe    = regexp.MustCompile(`(?i)(?:\s*[,|@–—-]\s*|\s+)(?:(?:at|um|à|a las|alle|ore|в)\s+)?\d{1,2}[:.h]\d{2}(?::\d{2})?\s*(?:[ap]\.?\s?m\.?|uhr|h|hrs)?$`)
	numericRe = regexp.MustCompile(`^(\d{1,4})([./-])(\d{1,2})([./-])(\d{2}|\d{4})\.?$`)
	idLabelRe = regexp.MustCompile(`(?i)^(?:[\pL .]{0,20}#|no\.?|nr\.?|n°|№|number|id|docket|case|ref\.?|reference|file|record)\s*:?\s*\d`)
)

// displayedDate reads s as a displayed date: norm is its EDTF form, "" when
// it cannot be normalised for certain. A weekday before it and a time after
// it are dropped (EDTF day precision). A numeric date is read day-first when
// written with dots (the European convention), year-first when it starts with
// four digits, and otherwise only when one part cannot be a month.
func displayedDate(s string) (norm string, ok bool) {
	if len(s) > 60 || len(s) < 4 || !strings.ContainsAny(s, "0123456789") {
		return "", false // every date harvest reads has a year
	}
	if isIDLabel(s) {
		return "", false // "No. 1955-12", "Opinion #: 2015-03": an identifier
	}
	t := strings.TrimSpace(s)
	t = strings.TrimSpace(stripWeekday(t))
	if loc := timeIndex(t); loc != nil && loc[0] > 0 {
		t = strings.TrimSpace(t[:loc[0]])
	}
	if m, ok := numericMatch(t); ok {
		if m[2] != m[4] {
			return "", false
		}
		return numericDate(m[1], m[3], m[5], m[2]), true
	}
	if n := NormalizeDate(t); n != "" {
		return n, true
	}
	return "", false
}

// numericDate normalises a numeric date a/b/c written with sep, or "".
func numericDate(a, b, c, sep string) string {
	ai, _ := strconv.Atoi(a)
	bi, _ := strconv.Atoi(b)
	ci, _ := strconv.Atoi(c)
	var p part
	switch {
	case len(a) == 4:
		p = part{ai, bi, ci}
	case len(c) != 4:
		return "" // a two-digit year: which century?
	case sep == ".", ai > 12:
		p = part{ci, bi, ai}
	case bi > 12:
		p = part{ci, ai, bi}
	default:
		return "" // month or day first? never guess
	}
	if !p.valid() || p.month == 0 || p.day == 0 {
		return ""
	}
	return p.format()
}

// dateOrder tells, from a page's numeric dates, whether they are written day
// first ('d'), month first ('m'), or cannot be told (0): one date whose first
// part exceeds 12 shows the order of all of them.
func dateOrder(texts []string) byte {
	order := byte(0)
	for _, s := range texts {
		m, ok := numericMatch(strings.TrimSpace(stripTime(stripWeekday(strings.TrimSpace(s)))))
		if !ok || len(m[1]) == 4 || m[2] != m[4] {
			continue
		}
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[3])
		switch {
		case a > 12 && b <= 12 && order != 'm':
			order = 'd'
		case b > 12 && a <= 12 && order != 'd':
			order = 'm'
		case a > 12 || b > 12:
			return 0 // contradicting
		}
	}
	return order
}

// normalizeIn normalises a displayed date given the page's numeric date order
// (see dateOrder): "05/09/25" stays "" unless a sibling shows the order.
func normalizeIn(s string, order byte) string {
	norm, ok := displayedDate(s)
	if !ok || norm != "" || order == 0 {
		return norm
	}
	m, ok := numericMatch(strings.TrimSpace(stripTime(stripWeekday(strings.TrimSpace(s)))))
	if !ok || len(m[1]) == 4 {
		return ""
	}
	y, _ := strconv.Atoi(m[5])
	if len(m[5]) == 2 {
		return "" // the century is still unknown
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[3])
	p := part{y, b, a}
	if order == 'm' {
		p = part{y, a, b}
	}
	if !p.valid() {
		return ""
	}
	return p.format()
}
