package serve

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/harvest-archive/harvest/store"
)

// funcs are the templates' helpers. None returns unescaped harvested text:
// mark escapes every piece before it adds its own <mark> elements.
var funcs = template.FuncMap{
	"mark":       mark,
	"when":       when,
	"web":        web,
	"recordURL":  func(u string) string { return "/record?" + url.Values{"url": {u}}.Encode() },
	"captureURL": func(u string) string { return "/capture?" + url.Values{"url": {u}}.Encode() },
	"percent":    percent,
	"ago":        ago,
	"num":        num,
	"num64":      func(n int64) string { return num(int(n)) },
	"facetOf":    facetOf,
	"records": func(n int) string {
		if n == 1 {
			return "1 record"
		}
		return num(n) + " records"
	},
}

// facetOf is the search parameter of a document field's key, "" when the
// key is not a facet.
func facetOf(key string) string {
	switch key {
	case "subjects":
		return "subject"
	case "associated_people", "author":
		return "person"
	case "associated_places":
		return "place"
	case "language":
		return "language"
	}
	return ""
}

// mark renders text whose matches stand between store.MarkStart and
// store.MarkEnd as escaped HTML with the matches in <mark>. Markers that do
// not pair up are dropped.
func mark(s string) template.HTML {
	var b strings.Builder
	open := false
	for s != "" {
		i := strings.IndexAny(s, store.MarkStart+store.MarkEnd)
		if i < 0 {
			b.WriteString(template.HTMLEscapeString(s))
			break
		}
		b.WriteString(template.HTMLEscapeString(s[:i]))
		isStart := strings.HasPrefix(s[i:], store.MarkStart)
		switch {
		case isStart && !open:
			b.WriteString("<mark>")
			open = true
		case !isStart && open:
			b.WriteString("</mark>")
			open = false
		}
		s = s[i+len(store.MarkStart):] // both markers are 3 bytes
	}
	if open {
		b.WriteString("</mark>")
	}
	return template.HTML(b.String())
}

// when formats a time for reading, "—" when zero.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// ago says how long before now t was, roughly.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// web reports whether s is an http or https URL, which a page may link to.
func web(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// percent is part of whole, as "93.5%"; "—" when whole is 0.
func percent(part, whole int) string {
	if whole <= 0 {
		return "—"
	}
	return strconv.FormatFloat(100*float64(part)/float64(whole), 'f', 1, 64) + "%"
}

// num writes n with thousands separated by commas.
func num(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// chart is the documents-per-year chart, laid out for an SVG of viewBox
// Width x Height.
type chart struct {
	Width, Height int
	Bars          []bar
	Max           int
	Ticks         []tick // year labels under the bars
	Base          int    // y of the axis
	First, Last   string
}

type bar struct {
	X, Y, W, H float64
	Year       string
	Count      int
}

type tick struct {
	X     float64
	Label string
}

// yearChart lays out one bar per year from the first dated year to the
// last, years without documents included (as gaps).
func yearChart(years []store.YearCount) chart {
	c := chart{Width: 720, Height: 220, Base: 190}
	if len(years) == 0 {
		return c
	}
	first, err1 := strconv.Atoi(years[0].Year)
	last, err2 := strconv.Atoi(years[len(years)-1].Year)
	if err1 != nil || err2 != nil || last < first {
		return c
	}
	c.First, c.Last = years[0].Year, years[len(years)-1].Year
	counts := map[int]int{}
	for _, y := range years {
		n, err := strconv.Atoi(y.Year)
		if err == nil {
			counts[n] += y.Count
			c.Max = max(c.Max, y.Count)
		}
	}
	span := last - first + 1
	left, right, top := 48.0, 8.0, 10.0
	slot := (float64(c.Width) - left - right) / float64(span)
	step := 1
	for _, s := range []int{1, 2, 5, 10, 20, 25, 50, 100, 200, 500} {
		step = s
		if float64(s)*slot >= 44 {
			break
		}
	}
	for i := 0; i < span; i++ {
		y := first + i
		x := left + float64(i)*slot
		n := counts[y]
		h := 0.0
		if c.Max > 0 {
			h = float64(n) / float64(c.Max) * (float64(c.Base) - top)
		}
		if n > 0 && h < 1 {
			h = 1
		}
		c.Bars = append(c.Bars, bar{X: x + slot*0.1, Y: float64(c.Base) - h, W: max(slot*0.8, 0.5), H: h, Year: strconv.Itoa(y), Count: n})
		if y%step == 0 || (i == 0 && span < 4) {
			c.Ticks = append(c.Ticks, tick{X: x + slot/2, Label: strconv.Itoa(y)})
		}
	}
	return c
}

// writeJSON writes v as JSON.
func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	_ = enc.Encode(v) // the client went away, if anything
}
