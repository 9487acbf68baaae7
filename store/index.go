package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/harvest-archive/harvest"
)

// facetOf maps the document keys that are facets of `harvest serve` to
// their facet.
var facetOf = map[string]string{
	"subjects":          "subject",
	"associated_people": "person",
	"author":            "person",
	"associated_places": "place",
	"language":          "language",
}

// detailsText is what the full-text index holds of a document page beside
// its record's title and summary: its description, every field's values and
// its text tabs.
func detailsText(d harvest.Document) string {
	var b strings.Builder
	b.WriteString(d.Summary)
	b.WriteByte(' ')
	first := true
	for _, f := range d.Fields {
		for _, v := range f.Values {
			if !first {
				b.WriteByte(' ')
			}
			first = false
			b.WriteString(v)
		}
	}
	b.WriteByte(' ')
	for i, t := range d.Texts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.Body)
	}
	return b.String()
}

// facetTerms lists the document's facet values, each (facet, value) once.
func facetTerms(d harvest.Document) [][2]string {
	var out [][2]string
	seen := map[[2]string]bool{}
	for _, f := range d.Fields {
		facet, ok := facetOf[f.Key]
		if !ok {
			continue
		}
		for _, v := range f.Values {
			t := [2]string{facet, v}
			if v == "" || seen[t] {
				continue
			}
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// indexDetails writes the details of the saved document pages into their
// records' full-text rows, within tx, in one statement: the full-text index
// flushes what it holds at the end of every statement that writes it, so a
// statement per page would leave a segment per page to merge.
func (db *DB) indexDetails(ctx context.Context, tx *sql.Tx, docs []harvest.Document) error {
	if len(docs) == 0 {
		return nil
	}
	batch, err := detailsBatch(docs)
	if err != nil {
		return fmt.Errorf("index documents: %w", err)
	}
	if _, err := tx.StmtContext(ctx, db.stmts.ftsDetails).ExecContext(ctx, batch); err != nil {
		return fmt.Errorf("index documents: %w", err)
	}
	return nil
}

// detailsBatch is the JSON array that ftsDetailsSQL takes: each page's URL
// and details, a page given twice with its last.
func detailsBatch(docs []harvest.Document) (string, error) {
	type row struct {
		URL     string `json:"u"`
		Details string `json:"d"`
	}
	rows := make([]row, 0, len(docs))
	at := make(map[string]int, len(docs))
	for _, d := range docs {
		if i, ok := at[d.URL]; ok {
			rows[i].Details = detailsText(d)
			continue
		}
		at[d.URL] = len(rows)
		rows = append(rows, row{d.URL, detailsText(d)})
	}
	b, err := json.Marshal(rows)
	return string(b), err
}

// indexTerms replaces a saved document page's facet terms, within tx.
// fresh says the page had no terms before (its first good save), so none
// are deleted.
func (db *DB) indexTerms(ctx context.Context, tx *sql.Tx, d harvest.Document, fresh bool) error {
	if !fresh {
		if _, err := tx.StmtContext(ctx, db.stmts.termsDel).ExecContext(ctx, d.URL); err != nil {
			return fmt.Errorf("index document %s: %w", d.URL, err)
		}
	}
	ins := tx.StmtContext(ctx, db.stmts.termsAdd)
	for _, t := range facetTerms(d) {
		if _, err := ins.ExecContext(ctx, d.URL, t[0], t[1]); err != nil {
			return fmt.Errorf("index document %s: %w", d.URL, err)
		}
	}
	return nil
}

// Statements of indexDetails, indexTerms and of SaveDocuments' look at the stored
// page (migration 0011 leaves them to the store), prepared at Open.
const (
	docIndexedSQL = `SELECT ok, summary, fields, texts FROM documents WHERE url = ?`
	ftsDetailsSQL = `UPDATE records_fts SET details = j.value ->> '$.d'
		FROM json_each(?) j JOIN records r ON r.url = j.value ->> '$.u' WHERE records_fts.rowid = r.rowid`
	termsDelSQL = `DELETE FROM document_terms WHERE url = ?`
	termsAddSQL = `INSERT OR IGNORE INTO document_terms (url, facet, value) VALUES (?, ?, ?)`
)
