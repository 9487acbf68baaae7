package export

import (
	"bufio"
	"encoding/xml"
	"io"
	"strings"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/edtf"
)

// CitationEncoder writes records (each with its document page, nil when none)
// in a catalogue's or a citation manager's format. Close finishes the output;
// it does not close the underlying writer.
type CitationEncoder interface {
	EncodeRecord(r harvest.Record, d *harvest.Document) error
	Close() error
}

// Namespaces of the Dublin Core export.
const (
	NamespaceOAIDC   = "http://www.openarchives.org/OAI/2.0/oai_dc/"
	NamespaceDC      = "http://purl.org/dc/elements/1.1/"
	NamespaceXSI     = "http://www.w3.org/2001/XMLSchema-instance"
	NamespaceHarvest = "https://github.com/harvest-archive/harvest/export"
	schemaLocation   = NamespaceOAIDC + " http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
)

// citation is what both formats say of a record, from its listing row and
// its document page.
type citation struct {
	title, date, description        string
	creators, subjects, people      []string
	places, languages, contributors []string
	sources, archives, rights       []string
	recordIDs, others               []string
	attachments                     []string
}

func cite(r harvest.Record, d *harvest.Document) citation {
	c := citation{title: r.Title, date: r.Date, description: r.Summary}
	if d == nil {
		return c
	}
	if d.Title != "" {
		c.title = d.Title
	}
	if c.date == "" {
		c.date = d.Date
	}
	if d.Summary != "" {
		c.description = d.Summary
	}
	for _, f := range d.Fields {
		var to *[]string
		switch f.Key {
		case "author":
			to = &c.creators
		case "subjects":
			to = &c.subjects
		case "associated_people":
			to = &c.people
		case "associated_places":
			to = &c.places
		case "language":
			to = &c.languages
		case "document_contributor", "donors":
			to = &c.contributors
		case "source":
			to = &c.sources
		case "original_archive":
			to = &c.archives
		case "rights":
			to = &c.rights
		case "record_id":
			to = &c.recordIDs
		case "":
			for _, v := range f.Values {
				c.others = append(c.others, f.Label+": "+v)
			}
			continue
		default:
			continue
		}
		*to = append(*to, f.Values...)
	}
	for _, l := range d.Links {
		c.attachments = append(c.attachments, l.URL)
	}
	return c
}

// DCEncoder writes Dublin Core XML: one oai_dc:dc element per record (the
// element set of OAI-PMH's oai_dc format, 15 DCMES elements in the dc
// namespace), inside one harvest:records root element.
type DCEncoder struct {
	bw      *bufio.Writer
	started bool
}

// NewDCEncoder returns a Dublin Core encoder writing to w.
func NewDCEncoder(w io.Writer) *DCEncoder {
	return &DCEncoder{bw: bufio.NewWriterSize(w, 64<<10)}
}

func (e *DCEncoder) start() {
	if e.started {
		return
	}
	e.started = true
	e.bw.WriteString(xml.Header)
	e.bw.WriteString(`<harvest:records xmlns:harvest="` + NamespaceHarvest + `" xmlns:oai_dc="` + NamespaceOAIDC +
		`" xmlns:dc="` + NamespaceDC + `" xmlns:xsi="` + NamespaceXSI + `">` + "\n")
}

func (e *DCEncoder) element(name string, values ...string) {
	for _, v := range values {
		if v == "" {
			continue
		}
		e.bw.WriteString("  <dc:" + name + ">")
		xml.EscapeText(e.bw, []byte(v)) // also replaces characters XML cannot hold
		e.bw.WriteString("</dc:" + name + ">\n")
	}
}

// EncodeRecord writes one record as an oai_dc:dc element: title; date (EDTF);
// creator (Author); subject (Subjects Discussed, then Associated People);
// coverage (Associated Places); language; contributor (Document Contributor,
// Donors); source (Source, Original Archive); rights; identifier (the URL,
// then the Record ID); relation (the attachment URLs); description.
func (e *DCEncoder) EncodeRecord(r harvest.Record, d *harvest.Document) error {
	e.start()
	c := cite(r, d)
	e.bw.WriteString(`<oai_dc:dc xsi:schemaLocation="` + schemaLocation + `">` + "\n")
	e.element("title", c.title)
	e.element("date", c.date)
	e.element("creator", c.creators...)
	e.element("subject", c.subjects...)
	e.element("subject", c.people...)
	e.element("coverage", c.places...)
	e.element("language", c.languages...)
	e.element("contributor", c.contributors...)
	e.element("source", c.sources...)
	e.element("source", c.archives...)
	e.element("rights", c.rights...)
	e.element("identifier", r.URL)
	e.element("identifier", c.recordIDs...)
	e.element("relation", c.attachments...)
	e.element("description", c.description)
	_, err := e.bw.WriteString("</oai_dc:dc>\n")
	return err
}

// Close ends the root element and flushes.
func (e *DCEncoder) Close() error {
	e.start()
	e.bw.WriteString("</harvest:records>\n")
	return e.bw.Flush()
}

// RISEncoder writes RIS, the citation managers' tagged format: per record,
// lines "XX  - value" from "TY  - GEN" to "ER  - ", a blank line between
// records, CRLF line ends as the format's specification has them.
type RISEncoder struct {
	bw *bufio.Writer
}

// NewRISEncoder returns a RIS encoder writing to w.
func NewRISEncoder(w io.Writer) *RISEncoder {
	return &RISEncoder{bw: bufio.NewWriterSize(w, 64<<10)}
}

// risFlat makes one line of a value: line breaks and tabs become spaces.
var risFlat = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ")

func (e *RISEncoder) tag(tag string, values ...string) {
	for _, v := range values {
		v = strings.TrimSpace(risFlat.Replace(v))
		if v == "" {
			continue
		}
		e.bw.WriteString(tag)
		e.bw.WriteString("  - ")
		e.bw.WriteString(v)
		e.bw.WriteString("\r\n")
	}
}

// risDate writes an EDTF date in RIS's YYYY/MM/DD/other form: the first day
// it can mean, to the precision it has, and the date as the listing shows it
// as the other information.
func risDate(date, text string) (da, py string) {
	start, _, ok := edtf.Bounds(date)
	if !ok || start == "" {
		if text == "" {
			return "", ""
		}
		return "///" + text, ""
	}
	py = start[:4]
	first, _, _ := strings.Cut(date, "/")
	first = strings.Trim(first, "~?%")
	switch {
	case strings.Contains(first, "X"):
		da = "///"
	case len(first) == 10:
		da = start[:4] + "/" + start[5:7] + "/" + start[8:10] + "/"
	case len(first) == 7 && first[5] < '2': // a month, not a season
		da = start[:4] + "/" + start[5:7] + "//"
	default:
		da = start[:4] + "///"
	}
	if da == "///" {
		py = ""
	}
	return da + text, py
}

// EncodeRecord writes one record: TY GEN; TI title; DA date and PY year;
// AU Author; KW Subjects Discussed, Associated People and Associated Places;
// LA Language; A2 Document Contributor and Donors; DB Original Archive; DP
// Source; ID the Record ID; UR the URL; L1 each attachment; AB the
// description; N1 Rights and each unknown label as "Label: value"; ER.
func (e *RISEncoder) EncodeRecord(r harvest.Record, d *harvest.Document) error {
	c := cite(r, d)
	text := r.DateText
	if text == "" && d != nil {
		text = d.DateText
	}
	da, py := risDate(c.date, text)
	e.tag("TY", "GEN")
	e.tag("TI", c.title)
	e.tag("DA", da)
	e.tag("PY", py)
	e.tag("AU", c.creators...)
	e.tag("KW", c.subjects...)
	e.tag("KW", c.people...)
	e.tag("KW", c.places...)
	e.tag("LA", c.languages...)
	e.tag("A2", c.contributors...)
	e.tag("DB", c.archives...)
	e.tag("DP", c.sources...)
	e.tag("ID", c.recordIDs...)
	e.tag("UR", r.URL)
	e.tag("L1", c.attachments...)
	e.tag("AB", c.description)
	for _, v := range c.rights {
		e.tag("N1", "Rights: "+v)
	}
	e.tag("N1", c.others...)
	_, err := e.bw.WriteString("ER  - \r\n\r\n")
	return err
}

// Close flushes.
func (e *RISEncoder) Close() error { return e.bw.Flush() }
