// Package export writes stored records (and their change history) as CSV,
// JSON or JSON Lines, streaming: each row goes from the store to the writer
// on its own, so memory does not grow with the number of records. Records
// have the columns of harvest.Fields and changes those of
// harvest.ChangeFields, in that order, in every format; times are RFC 3339 UTC.
package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"

	"github.com/harvest-archive/harvest"
)

// Formats lists the export formats.
var Formats = []string{"csv", "json", "jsonl"}

// Encoder writes rows of string values under fixed field names. Close
// finishes the output (the header of an empty CSV, the closing bracket of
// JSON, the flush of buffers); it does not close the underlying writer.
type Encoder interface {
	Encode(values []string) error
	Close() error
}

// New returns the encoder for format ("csv", "json" or "jsonl") and fields.
func New(format string, w io.Writer, fields []string) (Encoder, error) {
	switch format {
	case "csv":
		return NewCSVEncoder(w, fields), nil
	case "json":
		return NewJSONEncoder(w, fields), nil
	case "jsonl":
		return NewJSONLEncoder(w, fields), nil
	}
	return nil, fmt.Errorf("unknown export format %q (want csv, json or jsonl)", format)
}

// Source is where records come from: the store.
type Source interface {
	Records(ctx context.Context, fn func(harvest.Record) error) error
}

// HistorySource is where changes come from: the store.
type HistorySource interface {
	Changes(ctx context.Context, url string, fn func(harvest.Change) error) error
}

// Write streams every record of src to w in format, and returns how many it wrote.
func Write(ctx context.Context, src Source, format string, w io.Writer) (int, error) {
	return write(ctx, format, w, harvest.Fields, func(emit func([]string) error) error {
		return src.Records(ctx, func(r harvest.Record) error { return emit(r.Values()) })
	})
}

// WriteHistory streams the recorded changes (of one record when url is set)
// to w in format, and returns how many it wrote.
func WriteHistory(ctx context.Context, src HistorySource, url, format string, w io.Writer) (int, error) {
	return write(ctx, format, w, harvest.ChangeFields, func(emit func([]string) error) error {
		return src.Changes(ctx, url, func(c harvest.Change) error { return emit(c.Values()) })
	})
}

func write(ctx context.Context, format string, w io.Writer, fields []string, each func(func([]string) error) error) (int, error) {
	enc, err := New(format, w, fields)
	if err != nil {
		return 0, err
	}
	n := 0
	err = each(func(values []string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		n++
		return enc.Encode(values)
	})
	if err != nil {
		return n, fmt.Errorf("export %s: %w", format, err)
	}
	if err := enc.Close(); err != nil {
		return n, fmt.Errorf("export %s: %w", format, err)
	}
	return n, nil
}

// CSVEncoder writes RFC 4180 CSV in UTF-8 with one header row. Fields that
// hold commas, quotes or line breaks are quoted; line breaks inside fields are
// kept as they are stored.
type CSVEncoder struct {
	w      *csv.Writer
	fields []string
	header bool
}

// NewCSVEncoder returns a CSV encoder writing to w.
func NewCSVEncoder(w io.Writer, fields []string) *CSVEncoder {
	return &CSVEncoder{w: csv.NewWriter(w), fields: fields}
}

// Encode writes one row (after the header, on the first call).
func (e *CSVEncoder) Encode(values []string) error {
	if err := e.writeHeader(); err != nil {
		return err
	}
	return e.w.Write(values)
}

func (e *CSVEncoder) writeHeader() error {
	if e.header {
		return nil
	}
	e.header = true
	return e.w.Write(e.fields)
}

// Close writes the header if no row came, and flushes.
func (e *CSVEncoder) Close() error {
	if err := e.writeHeader(); err != nil {
		return err
	}
	e.w.Flush()
	return e.w.Error()
}

// JSONLEncoder writes one JSON object per line, keys in field order, every
// value a string; <, > and & are written as they are.
type JSONLEncoder struct {
	bw     *bufio.Writer
	keys   [][]byte // `"name":` for each field
	buf    bytes.Buffer
	strEnc *json.Encoder
}

// NewJSONLEncoder returns a JSON Lines encoder writing to w.
func NewJSONLEncoder(w io.Writer, fields []string) *JSONLEncoder {
	e := &JSONLEncoder{bw: bufio.NewWriterSize(w, 64<<10)}
	e.strEnc = json.NewEncoder(&e.buf)
	e.strEnc.SetEscapeHTML(false)
	for _, f := range fields {
		e.keys = append(e.keys, append(e.quote(f), ':'))
	}
	return e
}

// quote returns s as a JSON string.
func (e *JSONLEncoder) quote(s string) []byte {
	e.buf.Reset()
	_ = e.strEnc.Encode(s) // a string always encodes
	return append([]byte(nil), bytes.TrimSuffix(e.buf.Bytes(), []byte("\n"))...)
}

func (e *JSONLEncoder) object(values []string) error {
	if len(values) != len(e.keys) {
		return fmt.Errorf("row of %d values for %d fields", len(values), len(e.keys))
	}
	e.bw.WriteByte('{')
	for i, v := range values {
		if i > 0 {
			e.bw.WriteByte(',')
		}
		e.bw.Write(e.keys[i])
		e.buf.Reset()
		_ = e.strEnc.Encode(v)
		e.bw.Write(bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")))
	}
	_, err := e.bw.WriteString("}\n")
	return err
}

// Encode writes one row as a line.
func (e *JSONLEncoder) Encode(values []string) error { return e.object(values) }

// Close flushes.
func (e *JSONLEncoder) Close() error { return e.bw.Flush() }

// JSONEncoder writes one JSON array of objects, one object per line.
type JSONEncoder struct {
	*JSONLEncoder
	n int
}

// NewJSONEncoder returns a JSON array encoder writing to w.
func NewJSONEncoder(w io.Writer, fields []string) *JSONEncoder {
	return &JSONEncoder{JSONLEncoder: NewJSONLEncoder(w, fields)}
}

// Encode writes one row as an element of the array, on a line of its own.
func (e *JSONEncoder) Encode(values []string) error {
	sep := ","
	if e.n == 0 {
		sep = "["
	}
	e.n++
	if _, err := e.bw.WriteString(sep); err != nil {
		return err
	}
	return e.object(values)
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
