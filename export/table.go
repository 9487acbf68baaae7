package export

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// ListSeparator joins the values of a multi-valued column in CSV.
const ListSeparator = " | "

var listEscaper = strings.NewReplacer(`\`, `\\`, `|`, `\|`)

// JoinList joins values as a CSV export writes a multi-valued column: each
// value with "\" written "\\" and "|" written "\|", joined by " | ". SplitList
// undoes it.
func JoinList(values []string) string {
	var b strings.Builder
	for i, v := range values {
		if i > 0 {
			b.WriteString(ListSeparator)
		}
		listEscaper.WriteString(&b, v)
	}
	return b.String()
}

// SplitList splits a CSV field of a multi-valued column into its values
// (nil for ""): the separators are the " | " whose "|" is not escaped, and
// "\|" and "\\" in a value stand for "|" and "\".
func SplitList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == ' ' && strings.HasPrefix(s[i:], ListSeparator):
			out = append(out, b.String())
			b.Reset()
			i += len(ListSeparator) - 1
		default:
			b.WriteByte(c)
		}
	}
	return append(out, b.String())
}

func checkCells(cols []Column, cells [][]string) error {
	if len(cells) != len(cols) {
		return fmt.Errorf("row of %d values for %d columns", len(cells), len(cols))
	}
	for i, c := range cells {
		if len(c) > 1 && !cols[i].List {
			return fmt.Errorf("column %s holds one value, not %d", cols[i].Name, len(c))
		}
	}
	return nil
}

// CSVEncoder writes RFC 4180 CSV in UTF-8 with one header row. Fields that
// hold commas, quotes or line breaks are quoted; line breaks inside fields are
// kept as they are stored. A missing value is an empty field.
type CSVEncoder struct {
	w      *csv.Writer
	cols   []Column
	opt    Options
	header bool
	row    []string
	cells  [][]string
}

// NewCSVEncoder returns a CSV encoder writing to w.
func NewCSVEncoder(w io.Writer, cols []Column, opt Options) *CSVEncoder {
	return &CSVEncoder{w: csv.NewWriter(w), cols: cols, opt: opt}
}

// Encode writes one row of one value per column.
func (e *CSVEncoder) Encode(values []string) error {
	e.cells = scalarCells(e.cells, values)
	return e.EncodeCells(e.cells)
}

// EncodeCells writes one row (after the header, on the first call).
func (e *CSVEncoder) EncodeCells(cells [][]string) error {
	if err := checkCells(e.cols, cells); err != nil {
		return err
	}
	if err := e.writeHeader(); err != nil {
		return err
	}
	e.row = e.row[:0]
	for i, c := range cells {
		v := ""
		switch {
		case len(c) == 0:
		case e.cols[i].List:
			v = JoinList(c)
		default:
			v = c[0]
		}
		if e.opt.SpreadsheetSafe && e.cols[i].typ() == TypeString {
			v = safe(v)
		}
		e.row = append(e.row, v)
	}
	return e.w.Write(e.row)
}

func (e *CSVEncoder) writeHeader() error {
	if e.header {
		return nil
	}
	e.header = true
	names := make([]string, len(e.cols))
	for i, c := range e.cols {
		names[i] = c.Name
	}
	return e.w.Write(names)
}

// Close writes the header if no row came, and flushes.
func (e *CSVEncoder) Close() error {
	if err := e.writeHeader(); err != nil {
		return err
	}
	e.w.Flush()
	return e.w.Error()
}

// scalarCells makes one cell of each value, none for "", in buf.
func scalarCells(buf [][]string, values []string) [][]string {
	buf = buf[:0]
	for i := range values {
		if values[i] == "" {
			buf = append(buf, nil)
		} else {
			buf = append(buf, values[i:i+1])
		}
	}
	return buf
}

// JSONLEncoder writes one JSON object per line, keys in column order: a
// missing value is null, a list column an array of strings, an integer
// column a number, any other a string; <, > and & are written as they are.
type JSONLEncoder struct {
	bw     *bufio.Writer
	cols   []Column
	opt    Options
	keys   [][]byte // `"name":` for each column
	buf    bytes.Buffer
	strEnc *json.Encoder
	cells  [][]string
}

// NewJSONLEncoder returns a JSON Lines encoder writing to w.
func NewJSONLEncoder(w io.Writer, cols []Column, opt Options) *JSONLEncoder {
	e := &JSONLEncoder{bw: bufio.NewWriterSize(w, 64<<10), cols: cols, opt: opt}
	e.strEnc = json.NewEncoder(&e.buf)
	e.strEnc.SetEscapeHTML(false)
	for _, c := range cols {
		e.keys = append(e.keys, append(e.quote(c.Name), ':'))
	}
	return e
}

// quote returns s as a JSON string.
func (e *JSONLEncoder) quote(s string) []byte {
	e.buf.Reset()
	_ = e.strEnc.Encode(s) // a string always encodes
	return append([]byte(nil), bytes.TrimSuffix(e.buf.Bytes(), []byte("\n"))...)
}

func (e *JSONLEncoder) writeString(s string) {
	e.buf.Reset()
	_ = e.strEnc.Encode(s)
	e.bw.Write(bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")))
}

func (e *JSONLEncoder) object(cells [][]string) error {
	if err := checkCells(e.cols, cells); err != nil {
		return err
	}
	e.bw.WriteByte('{')
	for i, c := range cells {
		if i > 0 {
			e.bw.WriteByte(',')
		}
		e.bw.Write(e.keys[i])
		col := e.cols[i]
		switch {
		case len(c) == 0:
			e.bw.WriteString("null")
		case col.List:
			e.bw.WriteByte('[')
			for j, v := range c {
				if j > 0 {
					e.bw.WriteByte(',')
				}
				if e.opt.SpreadsheetSafe {
					v = safe(v)
				}
				e.writeString(v)
			}
			e.bw.WriteByte(']')
		case col.Type == TypeInteger && isInteger(c[0]):
			e.bw.WriteString(c[0])
		default:
			v := c[0]
			if e.opt.SpreadsheetSafe && col.typ() == TypeString {
				v = safe(v)
			}
			e.writeString(v)
		}
	}
	_, err := e.bw.WriteString("}\n")
	return err
}

func isInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Encode writes one row of one value per column as a line.
func (e *JSONLEncoder) Encode(values []string) error {
	e.cells = scalarCells(e.cells, values)
	return e.object(e.cells)
}

// EncodeCells writes one row as a line.
func (e *JSONLEncoder) EncodeCells(cells [][]string) error { return e.object(cells) }

// Close flushes.
func (e *JSONLEncoder) Close() error { return e.bw.Flush() }

// JSONEncoder writes one JSON array of objects, one object per line, each as
// JSONLEncoder writes it.
type JSONEncoder struct {
	*JSONLEncoder
	n int
}

// NewJSONEncoder returns a JSON array encoder writing to w.
func NewJSONEncoder(w io.Writer, cols []Column, opt Options) *JSONEncoder {
	return &JSONEncoder{JSONLEncoder: NewJSONLEncoder(w, cols, opt)}
}

// Encode writes one row of one value per column as an element of the array.
func (e *JSONEncoder) Encode(values []string) error {
	e.cells = scalarCells(e.cells, values)
	return e.EncodeCells(e.cells)
}

// EncodeCells writes one row as an element of the array, on a line of its own.
func (e *JSONEncoder) EncodeCells(cells [][]string) error {
	sep := ","
	if e.n == 0 {
		sep = "["
	}
	e.n++
	if _, err := e.bw.WriteString(sep); err != nil {
		return err
	}
	return e.object(cells)
}

// Close ends the array and flushes.
func (e *JSONEncoder) Close() error {
	end := "]\n"
	if e.n == 0 {
		end = "[]\n"
	}
	if _, err := e.bw.WriteString(end); err != nil {
		return err
	}
	return e.bw.Flush()
}
