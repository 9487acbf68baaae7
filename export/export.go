// Package export writes stored records as CSV, JSON or JSON Lines, streaming:
// each record goes from the store to the writer on its own, so memory does not
// grow with the number of records. Every format has the columns of
// harvest.Fields, in that order, times in RFC 3339 UTC.
package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"

	"github.com/harvest-archive/harvest"
)

// Formats lists the export formats.
var Formats = []string{"csv", "json", "jsonl"}

// Encoder writes records in one format. Close finishes the output (the
// closing bracket of JSON, the flush of buffers); it does not close the
// underlying writer.
type Encoder interface {
	Encode(harvest.Record) error
	Close() error
}

// New returns the encoder for format ("csv", "json" or "jsonl").
func New(format string, w io.Writer) (Encoder, error) {
	switch format {
	case "csv":
		return NewCSVEncoder(w), nil
	case "json":
		return NewJSONEncoder(w), nil
	case "jsonl":
		return NewJSONLEncoder(w), nil
	}
	return nil, fmt.Errorf("unknown export format %q (want csv, json or jsonl)", format)
}

// Source is where records come from: the store.
type Source interface {
	Records(ctx context.Context, fn func(harvest.Record) error) error
}

// Write streams every record of src to w in format, and returns how many it wrote.
func Write(ctx context.Context, src Source, format string, w io.Writer) (int, error) {
	enc, err := New(format, w)
	if err != nil {
		return 0, err
	}
	n := 0
	err = src.Records(ctx, func(r harvest.Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		n++
		return enc.Encode(r)
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
	header bool
}

// NewCSVEncoder returns a CSV encoder writing to w.
func NewCSVEncoder(w io.Writer) *CSVEncoder { return &CSVEncoder{w: csv.NewWriter(w)} }

// Encode writes one record (after the header, on the first call).
func (e *CSVEncoder) Encode(r harvest.Record) error {
	if err := e.writeHeader(); err != nil {
		return err
	}
	return e.w.Write(r.Values())
}

func (e *CSVEncoder) writeHeader() error {
	if e.header {
		return nil
	}
	e.header = true
	return e.w.Write(harvest.Fields)
}

// Close writes the header if no record came, and flushes.
func (e *CSVEncoder) Close() error {
	if err := e.writeHeader(); err != nil {
		return err
	}
	e.w.Flush()
	return e.w.Error()
}

// jsonRecord fixes the key order of JSON output to harvest.Fields.
type jsonRecord struct {
	URL        string `json:"url"`
	Title      string `json:"title"`
	Date       string `json:"date"`
	DateText   string `json:"date_text"`
	Summary    string `json:"summary"`
	ListingURL string `json:"listing_url"`
	FirstSeen  string `json:"first_seen"`
	LastSeen   string `json:"last_seen"`
	GoneAt     string `json:"gone_at"`
}

func toJSON(r harvest.Record) jsonRecord {
	return jsonRecord{r.URL, r.Title, r.Date, r.DateText, r.Summary, r.ListingURL,
		harvest.FormatTime(r.FirstSeen), harvest.FormatTime(r.LastSeen), harvest.FormatTime(r.GoneAt)}
}

// JSONLEncoder writes one JSON object per line.
type JSONLEncoder struct {
	bw  *bufio.Writer
	enc *json.Encoder
}

// NewJSONLEncoder returns a JSON Lines encoder writing to w.
func NewJSONLEncoder(w io.Writer) *JSONLEncoder {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &JSONLEncoder{bw: bw, enc: enc}
}

// Encode writes one record as a line.
func (e *JSONLEncoder) Encode(r harvest.Record) error { return e.enc.Encode(toJSON(r)) }

// Close flushes.
func (e *JSONLEncoder) Close() error { return e.bw.Flush() }

// JSONEncoder writes one JSON array of objects, one object per line.
type JSONEncoder struct {
	JSONLEncoder
	n int
}

// NewJSONEncoder returns a JSON array encoder writing to w.
func NewJSONEncoder(w io.Writer) *JSONEncoder {
	return &JSONEncoder{JSONLEncoder: *NewJSONLEncoder(w)}
}

// Encode writes one record as an element of the array, on a line of its own.
func (e *JSONEncoder) Encode(r harvest.Record) error {
	sep := ","
	if e.n == 0 {
		sep = "["
	}
	e.n++
	if _, err := e.bw.WriteString(sep); err != nil {
		return err
	}
	return e.enc.Encode(toJSON(r))
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
