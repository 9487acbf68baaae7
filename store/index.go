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

// index writes the search details and facet terms of the saved document
// pages docs into the index, within tx, replacing the terms of those in
// stale. It runs one statement of each kind for the whole group: the
// full-text index flushes at the end of every statement that writes it, and
// a statement per term costs more than its row.
func (db *DB) index(ctx context.Context, tx *sql.Tx, docs []harvest.Document, stale []string) error {
	if len(docs) == 0 {
		return nil
	}
	details, terms, err := indexBatches(docs)
	if err != nil {
		return fmt.Errorf("index documents: %w", err)
	}
	if len(stale) > 0 {
		urls, err := json.Marshal(stale)
		if err != nil {
			return fmt.Errorf("index documents: %w", err)
		}
		if _, err := tx.StmtContext(ctx, db.stmts.termsDel).ExecContext(ctx, string(urls)); err != nil {
			return fmt.Errorf("index documents: %w", err)
		}
	}
	if _, err := tx.StmtContext(ctx, db.stmts.termsAdd).ExecContext(ctx, terms); err != nil {
		return fmt.Errorf("index documents: %w", err)
	}
	if _, err := tx.StmtContext(ctx, db.stmts.ftsDetails).ExecContext(ctx, details); err != nil {
		return fmt.Errorf("index documents: %w", err)
	}
	return nil
}

// indexBatches makes the JSON arrays that ftsDetailsSQL and termsAddSQL
// take: each page's URL and details, and each (URL, facet, value) once; a
// page given twice counts with its last.
func indexBatches(docs []harvest.Document) (details, terms string, err error) {
	type row struct {
		URL     string `json:"u"`
		Details string `json:"d"`
	}
	rows := make([]row, 0, len(docs))
	last := make(map[string]harvest.Document, len(docs))
	at := make(map[string]int, len(docs))
	for _, d := range docs {
		last[d.URL] = d
		if i, ok := at[d.URL]; ok {
			rows[i].Details = detailsText(d)
			continue
		}
		at[d.URL] = len(rows)
		rows = append(rows, row{d.URL, detailsText(d)})
	}
	var ts [][3]string
	for _, r := range rows {
		for _, t := range facetTerms(last[r.URL]) {
			ts = append(ts, [3]string{r.URL, t[0], t[1]})
		}
	}
	if ts == nil {
		ts = [][3]string{}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return "", "", err
	}
	c, err := json.Marshal(ts)
	return string(b), string(c), err
}

// Statements of index and of SaveDocuments' look at the stored
// page (migration 0011 leaves them to the store), prepared at Open.
const (
	docIndexedSQL = `SELECT ok, summary, fields, texts FROM documents WHERE url = ?`
	ftsDetailsSQL = `UPDATE records_fts SET details = j.value ->> '$.d'
		FROM json_each(?) j JOIN records r ON r.url = j.value ->> '$.u' WHERE records_fts.rowid = r.rowid`
	termsDelSQL = `DELETE FROM document_terms WHERE url IN (SELECT value FROM json_each(?))`
	termsAddSQL = `INSERT OR IGNORE INTO document_terms (url, facet, value)
		SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]' FROM json_each(?) j`
)
