// Package edtf reads the Extended Date/Time Format (ISO 8601-2, EDTF) values
// that the parser writes into Record.Date, and gives the earliest and the
// latest day each one can mean, so that tools with no EDTF support can sort
// and filter by date.
package edtf

import "strings"

// Bounds returns the first and the last day that the EDTF value s covers, as
// ISO 8601 calendar dates (YYYY-MM-DD):
//
//	1956-09-17             1956-09-17 .. 1956-09-17
//	1956-09                1956-09-01 .. 1956-09-30
//	1956, 1956~, 1956?     1956-01-01 .. 1956-12-31 (a qualifier does not widen the range)
//	195X                   1950-01-01 .. 1959-12-31 (a decade; 19XX a century)
//	1956-21 .. 1956-24     spring 1956-03-01 .. 05-31, summer 06-01 .. 08-31,
//	                       autumn 09-01 .. 11-30, winter 1956-12-01 .. 1957-02-28
//	                       (meteorological seasons of the northern hemisphere)
//	1956-09-17/1956-10     1956-09-17 .. 1956-10-31 (an interval: first of the
//	                       one, last of the other)
//	../1956, /1956         "" .. 1956-12-31 (an open or unknown end is "")
//
// Qualifiers (~, ?, %) are ignored wherever they stand. ok is false, and both
// bounds "", for an empty value and for anything else it cannot read (sets,
// years before 1 or after 9999, exponents): it never guesses.
func Bounds(s string) (start, end string, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "", false
	}
	a, b, interval := strings.Cut(s, "/")
	if !interval {
		return span(a)
	}
	if strings.Contains(b, "/") {
		return "", "", false
	}
	if a != "" && a != ".." {
		if start, _, ok = span(a); !ok {
			return "", "", false
		}
	}
	if b != "" && b != ".." {
		if _, end, ok = span(b); !ok {
			return "", "", false
		}
	}
	if start == "" && end == "" {
		return "", "", false
	}
	if start != "" && end != "" && end < start { // four-digit years: text order is date order
		return "", "", false
	}
	return start, end, true
}

// span reads one EDTF date (no interval) and returns its first and last day.
func span(s string) (start, end string, ok bool) {
	lo, hi, ok := days(s)
	if !ok {
		return "", "", false
	}
	return format(lo), format(hi), true
}

// day is a calendar day.
type day struct{ y, m, d int }

func format(d day) string {
	b := [10]byte{'0', '0', '0', '0', '-', '0', '0', '-', '0', '0'}
	put := func(at, n, width int) {
		for i := at + width - 1; i >= at; i-- {
			b[i] = byte('0' + n%10)
			n /= 10
		}
	}
	put(0, d.y, 4)
	put(5, d.m, 2)
	put(8, d.d, 2)
	return string(b[:])
}

func days(s string) (lo, hi day, ok bool) {
	if strings.ContainsAny(s, "~?%") {
		s = strings.Map(func(r rune) rune {
			if r == '~' || r == '?' || r == '%' {
				return -1
			}
			return r
		}, s)
	}
	var parts [3]string
	n := 0
	for rest, more := s, true; more; n++ {
		if n == 3 {
			return lo, hi, false
		}
		parts[n], rest, more = strings.Cut(rest, "-")
	}
	if len(parts[0]) != 4 {
		return lo, hi, false
	}
	for i, p := range parts[:n] {
		if (i > 0 && len(p) != 2) || !digitsOrX(p) {
			return lo, hi, false
		}
	}
	yLo, yHi := fill(parts[0])
	yLo = max(yLo, 1)
	if yHi < yLo {
		return lo, hi, false
	}
	mLo, mHi := 1, 12
	if n > 1 {
		mLo, mHi = fill(parts[1])
		if season := mLo; mLo == mHi && season >= 21 && season <= 24 {
			if n > 2 {
				return lo, hi, false
			}
			first := 3 * (season - 20) // 3, 6, 9, 12: the first of its three months
			lastY, last := yHi, first+2
			if last > 12 {
				lastY, last = yHi+1, last-12
			}
			return day{yLo, first, 1}, day{lastY, last, lastDay(lastY, last)}, true
		}
		mLo, mHi = max(mLo, 1), min(mHi, 12)
		if mLo > 12 || mHi < 1 || mHi < mLo {
			return lo, hi, false
		}
	}
	dLo, dHi := 1, 31
	if n > 2 {
		dLo, dHi = fill(parts[2])
		dLo = max(dLo, 1)
		if dLo > dHi || dLo > lastDay(yLo, mLo) || (!strings.Contains(s, "X") && dHi > lastDay(yHi, mHi)) {
			return lo, hi, false // no such day (1956-02-30)
		}
	}
	return day{yLo, mLo, dLo}, day{yHi, mHi, min(dHi, lastDay(yHi, mHi))}, true
}

// fill reads digits with unspecified digits (X): the least and the greatest
// number they can stand for.
func fill(p string) (lo, hi int) {
	for i := 0; i < len(p); i++ {
		if p[i] == 'X' {
			lo, hi = lo*10, hi*10+9
		} else {
			lo, hi = lo*10+int(p[i]-'0'), hi*10+int(p[i]-'0')
		}
	}
	return lo, hi
}

func digitsOrX(p string) bool {
	for i := 0; i < len(p); i++ {
		if (p[i] < '0' || p[i] > '9') && p[i] != 'X' {
			return false
		}
	}
	return p != ""
}

func lastDay(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
