// Package export writes stored records (with their document pages, their
// files or their change history) as CSV, JSON, JSON Lines, Dublin Core XML or
// RIS, streaming: each row goes from the store to the writer on its own, so
// memory does not grow with the number of records.
//
// The table formats (CSV, JSON, JSONL) share one column list per kind of row
// (RecordColumns, DetailColumns, FileColumns, ChangeColumns), in the same
// order in every format; times are RFC 3339 UTC, dates ISO 8601. A missing
// value is an empty CSV field and a JSON null. A multi-valued column is a
// JSON array, and in CSV its values joined by " | ", a "|" or "\" inside a
// value escaped with a backslash (see JoinList and SplitList). The encoders
// also take an arbitrary row stream (New, NewTable).
package export

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/edtf"
)

// Formats lists the export formats of records.
var Formats = []string{"csv", "json", "jsonl", "dc", "ris"}

// extensions maps file name extensions to formats.
var extensions = map[string]string{".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".xml": "dc", ".ris": "ris"}

// FormatOf returns the format that a file name's extension names (".xml" is
// Dublin Core, "dc"), or "" for any other extension.
func FormatOf(name string) string {
	return extensions[strings.ToLower(filepath.Ext(name))]
}

// TableFormats lists the formats that write any table (files, history, rows
// given to New).
var TableFormats = []string{"csv", "json", "jsonl"}

// Column types, named as in Frictionless Table Schema.
const (
	TypeString   = "string"   // text
	TypeDate     = "date"     // ISO 8601 calendar date, YYYY-MM-DD
	TypeDatetime = "datetime" // RFC 3339 UTC, YYYY-MM-DDThh:mm:ssZ
	TypeInteger  = "integer"  // a JSON number
)

// Column is one column of a table export.
type Column struct {
	Name        string
	Type        string // one of the Type constants; "" means TypeString
	List        bool   // multi-valued: a JSON array; in CSV joined by " | " (JoinList)
	Description string // for datapackage.json
}

func (c Column) typ() string {
	if c.Type == "" {
		return TypeString
	}
	return c.Type
}

// Options change how values are written.
type Options struct {
	// SpreadsheetSafe prefixes with a ' every text value that begins with
	// =, +, -, @, a tab or a carriage return (OWASP's rule against formula
	// injection), so that a spreadsheet shows it instead of running it.
	// Off, values are written verbatim.
	SpreadsheetSafe bool
}

// Encoder writes rows. Close finishes the output (the header of an empty
// CSV, the closing bracket of JSON, the flush of buffers); it does not close
// the underlying writer.
type Encoder interface {
	// Encode writes one row of one value per column; "" is a missing value.
	Encode(values []string) error
	// EncodeCells writes one row of one cell per column: a cell with no
	// value is missing, a list column takes any number of values, any other
	// column at most one.
	EncodeCells(cells [][]string) error
	Close() error
}

// Columns returns string columns of the given names.
func Columns(names ...string) []Column {
	cols := make([]Column, len(names))
	for i, n := range names {
		cols[i] = Column{Name: n, Type: TypeString}
	}
	return cols
}

// New returns the encoder of a table format ("csv", "json" or "jsonl") for
// string columns of the given names, writing values verbatim.
func New(format string, w io.Writer, fields []string) (Encoder, error) {
	return NewTable(format, w, Columns(fields...), Options{})
}

// NewTable returns the encoder of a table format ("csv", "json" or "jsonl")
// for cols.
func NewTable(format string, w io.Writer, cols []Column, opt Options) (Encoder, error) {
	switch format {
	case "csv":
		return NewCSVEncoder(w, cols, opt), nil
	case "json":
		return NewJSONEncoder(w, cols, opt), nil
	case "jsonl":
		return NewJSONLEncoder(w, cols, opt), nil
	}
	return nil, fmt.Errorf("unknown table format %q (want %s)", format, strings.Join(TableFormats, ", "))
}

// Source is where records come from: the store.
type Source interface {
	Records(ctx context.Context, fn func(harvest.Record) error) error
}

// DetailSource gives every record with its document page (nil when none is
// stored), one at a time.
type DetailSource interface {
	Details(ctx context.Context, fn func(harvest.Record, *harvest.Document) error) error
}

// FileSource gives the files manifest, one entry at a time.
type FileSource interface {
	Files(ctx context.Context, fn func(harvest.FileEntry) error) error
}

// HistorySource is where changes come from: the store.
type HistorySource interface {
	Changes(ctx context.Context, url string, fn func(harvest.Change) error) error
}

// RecordColumns are the columns of a record export: harvest.Fields with the
// bounds of the EDTF date (date_start, date_end) after date.
var RecordColumns = []Column{
	{Name: "url", Description: "canonical document URL, the key"},
	{Name: "title", Description: "plain text"},
	{Name: "date", Description: "date_text normalised to ISO 8601 / EDTF level 1"},
	{Name: "date_start", Type: TypeDate, Description: "the first day the date can mean"},
	{Name: "date_end", Type: TypeDate, Description: "the last day the date can mean"},
	{Name: "date_text", Description: "the date as the listing shows it"},
	{Name: "summary", Description: "plain text"},
	{Name: "listing_url", Description: "the listing page where the record was last seen"},
	{Name: "first_seen", Type: TypeDatetime, Description: "when the record was first stored"},
	{Name: "last_seen", Type: TypeDatetime, Description: "when it was last seen on a listing"},
	{Name: "gone_at", Type: TypeDatetime, Description: "when a complete walk found it no longer listed"},
}

// DetailColumns are the columns of a record export with document pages: the
// record's, the page's node id and description, one list column per key of
// harvest.DocumentKeys, the fields of labels the profile does not know as two
// parallel lists (other_labels[i] is the label of other_values[i]), the text
// tabs (text_labels, texts) and the attachment links (attachment_urls,
// attachment_labels) likewise, and the page's last fetch.
var DetailColumns = detailColumns()

func detailColumns() []Column {
	cols := slices.Clone(RecordColumns)
	cols = append(cols,
		Column{Name: "node_id", Description: "the site's internal id of the document page"},
		Column{Name: "description", Description: "the document page's description"},
	)
	for _, k := range harvest.DocumentKeys {
		cols = append(cols, Column{Name: k, List: true, Description: "the document page's field " + k})
	}
	return append(cols,
		Column{Name: "other_labels", List: true, Description: "labels the profile does not know, one per value of other_values"},
		Column{Name: "other_values", List: true, Description: "the values of those labels"},
		Column{Name: "text_labels", List: true, Description: "the labels of the text tabs (Original, Translation...)"},
		Column{Name: "texts", List: true, Description: "the text of each tab, plain text"},
		Column{Name: "attachment_urls", List: true, Description: "attachment links, absolute"},
		Column{Name: "attachment_labels", List: true, Description: "the label of each attachment link"},
		Column{Name: "document_status", Type: TypeInteger, Description: "HTTP status of the page's last fetch"},
		Column{Name: "document_fetched_at", Type: TypeDatetime, Description: "when the page was last fetched"},
	)
}

// FileColumns are the columns of the files manifest (harvest.FileEntry).
var FileColumns = []Column{
	{Name: "record_url", Description: "the record the attachment belongs to"},
	{Name: "url", Description: "the attachment URL, as linked"},
	{Name: "label", Description: "the link's label"},
	{Name: "content_type", Description: "as the server sent it"},
	{Name: "size", Type: TypeInteger, Description: "bytes"},
	{Name: "sha256", Description: "lower-case hex; the file's name under the files directory"},
	{Name: "fetched_at", Type: TypeDatetime, Description: "when it was downloaded"},
}

// ChangeColumns are the columns of a history export (harvest.ChangeFields).
var ChangeColumns = []Column{
	{Name: "url", Description: "the record"},
	{Name: "changed_at", Type: TypeDatetime, Description: "when the change was seen"},
	{Name: "field", Description: "title, date, date_text, summary; gone or returned"},
	{Name: "old_value"},
	{Name: "new_value"},
	{Name: "listing_url", Description: "the listing page where the change was seen"},
}

// Write streams every record of src to w in format (any of Formats), values
// verbatim, and returns how many it wrote.
func Write(ctx context.Context, src Source, format string, w io.Writer) (int, error) {
	return WriteRecords(ctx, src, format, w, Options{})
}

// WriteRecords streams every record of src to w in format (any of Formats).
func WriteRecords(ctx context.Context, src Source, format string, w io.Writer, opt Options) (int, error) {
	if isCitation(format) {
		return writeCitations(ctx, format, w, func(emit func(harvest.Record, *harvest.Document) error) error {
			return src.Records(ctx, func(r harvest.Record) error { return emit(r, nil) })
		})
	}
	var row rowBuf
	return writeTable(ctx, format, w, RecordColumns, opt, func(emit func([][]string) error) error {
		return src.Records(ctx, func(r harvest.Record) error { return emit(row.record(r)) })
	})
}

// WriteDetails streams every record of src with its document page to w in
// format (any of Formats).
func WriteDetails(ctx context.Context, src DetailSource, format string, w io.Writer, opt Options) (int, error) {
	if isCitation(format) {
		return writeCitations(ctx, format, w, func(emit func(harvest.Record, *harvest.Document) error) error {
			return src.Details(ctx, emit)
		})
	}
	var row rowBuf
	return writeTable(ctx, format, w, DetailColumns, opt, func(emit func([][]string) error) error {
		return src.Details(ctx, func(r harvest.Record, d *harvest.Document) error { return emit(row.detail(r, d)) })
	})
}

// WriteFiles streams the files manifest of src to w in a table format.
func WriteFiles(ctx context.Context, src FileSource, format string, w io.Writer, opt Options) (int, error) {
	var row rowBuf
	return writeTable(ctx, format, w, FileColumns, opt, func(emit func([][]string) error) error {
		return src.Files(ctx, func(f harvest.FileEntry) error { return emit(row.file(f)) })
	})
}

// WriteHistory streams the recorded changes (of one record when url is set)
// to w in a table format, and returns how many it wrote. Their old and new
// values are harvested text: opt.SpreadsheetSafe applies to them.
func WriteHistory(ctx context.Context, src HistorySource, url, format string, w io.Writer, opt Options) (int, error) {
	var row rowBuf
	return writeTable(ctx, format, w, ChangeColumns, opt, func(emit func([][]string) error) error {
		return src.Changes(ctx, url, func(c harvest.Change) error { return emit(row.scalars(c.Values())) })
	})
}

func isCitation(format string) bool { return format == "dc" || format == "ris" }

func writeTable(ctx context.Context, format string, w io.Writer, cols []Column, opt Options, each func(func([][]string) error) error) (int, error) {
	enc, err := NewTable(format, w, cols, opt)
	if err != nil {
		return 0, err
	}
	n := 0
	err = each(func(cells [][]string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		n++
		return enc.EncodeCells(cells)
	})
	if err != nil {
		return n, fmt.Errorf("export %s: %w", format, err)
	}
	if err := enc.Close(); err != nil {
		return n, fmt.Errorf("export %s: %w", format, err)
	}
	return n, nil
}

func writeCitations(ctx context.Context, format string, w io.Writer, each func(func(harvest.Record, *harvest.Document) error) error) (int, error) {
	var enc CitationEncoder
	if format == "dc" {
		enc = NewDCEncoder(w)
	} else {
		enc = NewRISEncoder(w)
	}
	n := 0
	err := each(func(r harvest.Record, d *harvest.Document) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		n++
		return enc.EncodeRecord(r, d)
	})
	if err != nil {
		return n, fmt.Errorf("export %s: %w", format, err)
	}
	if err := enc.Close(); err != nil {
		return n, fmt.Errorf("export %s: %w", format, err)
	}
	return n, nil
}

// rowBuf builds rows of cells, reusing its memory from row to row.
type rowBuf struct {
	vals  []string
	cells [][]string
	other []string // other_labels then other_values, for a detail row
}

// scalars makes one cell of each value, none for "".
func (b *rowBuf) scalars(vals []string) [][]string {
	b.cells = scalarCells(b.cells, vals)
	return b.cells
}

func (b *rowBuf) recordValues(r harvest.Record) []string {
	start, end, _ := edtf.Bounds(r.Date)
	b.vals = append(b.vals[:0], r.URL, r.Title, r.Date, start, end, r.DateText, r.Summary, r.ListingURL,
		harvest.FormatTime(r.FirstSeen), harvest.FormatTime(r.LastSeen), harvest.FormatTime(r.GoneAt))
	return b.vals
}

func (b *rowBuf) record(r harvest.Record) [][]string { return b.scalars(b.recordValues(r)) }

func (b *rowBuf) detail(r harvest.Record, d *harvest.Document) [][]string {
	vals := b.recordValues(r)
	if d == nil {
		cells := b.scalars(vals)
		for len(cells) < len(DetailColumns) {
			cells = append(cells, nil)
		}
		b.cells = cells
		return cells
	}
	status := ""
	if d.Status != 0 {
		status = fmt.Sprint(d.Status)
	}
	b.vals = append(vals, d.NodeID, d.Summary)
	cells := b.scalars(b.vals)
	for _, k := range harvest.DocumentKeys {
		var vs []string
		for _, f := range d.Fields {
			if f.Key == k {
				vs = append(vs, f.Values...)
			}
		}
		cells = append(cells, vs)
	}
	b.other = b.other[:0]
	for _, f := range d.Fields {
		if f.Key == "" {
			for range f.Values {
				b.other = append(b.other, f.Label)
			}
		}
	}
	nl := len(b.other)
	for _, f := range d.Fields {
		if f.Key == "" {
			b.other = append(b.other, f.Values...)
		}
	}
	cells = append(cells, b.other[:nl:nl], b.other[nl:])
	var labels, texts, urls, names []string
	for _, t := range d.Texts {
		labels, texts = append(labels, t.Label), append(texts, t.Body)
	}
	for _, l := range d.Links {
		urls, names = append(urls, l.URL), append(names, l.Label)
	}
	cells = append(cells, labels, texts, urls, names, nonEmpty(status), nonEmpty(harvest.FormatTime(d.FetchedAt)))
	b.cells = cells
	return cells
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func (b *rowBuf) file(f harvest.FileEntry) [][]string {
	b.vals = append(b.vals[:0], f.RecordURL, f.URL, f.Label, f.ContentType, fmt.Sprint(f.Size), f.SHA256, harvest.FormatTime(f.FetchedAt))
	return b.scalars(b.vals)
}

// safe applies OWASP's rule to one text value.
func safe(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}
