package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/harvest-archive/harvest"
)

var _ Copyable = (*DB)(nil)

// ReadTable calls fn with each row of the table's columns; records come in
// the order first stored.
func (db *DB) ReadTable(ctx context.Context, t CopyTable, fn func(row []any) error) error {
	order := map[string]string{"records": "rowid", "frontier": "walk_id, seq, url", "pages": "url", "documents": "url", "files": "rowid"}[t.Name]
	if order == "" {
		order = "id"
	}
	return db.each(ctx, `SELECT `+strings.Join(t.Columns, ", ")+` FROM `+t.Name+` ORDER BY `+order, nil, func(rows *sql.Rows) error {
		row := make([]any, len(t.Columns))
		ptrs := make([]any, len(row))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range row {
			if b, ok := v.([]byte); ok {
				row[i] = string(b)
			}
		}
		return fn(row)
	})
}

// BeginLoad starts loading rows in one write transaction; it fails with
// ErrNotEmpty when the database holds a walk or a record.
func (db *DB) BeginLoad(ctx context.Context) (Loader, error) {
	if db.readOnly {
		return nil, ErrReadOnly
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	var used bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM walks) OR EXISTS (SELECT 1 FROM records)`).Scan(&used); err != nil {
		tx.Rollback()
		return nil, err
	}
	if used {
		tx.Rollback()
		return nil, fmt.Errorf("%s: %w", db.path, ErrNotEmpty)
	}
	return sqliteLoader{tx}, nil
}

type sqliteLoader struct{ tx *sql.Tx }

func (l sqliteLoader) Load(ctx context.Context, t CopyTable, rows [][]any) error {
	st, err := l.tx.PrepareContext(ctx, `INSERT INTO `+t.Name+` (`+strings.Join(t.Columns, ", ")+`) VALUES (?`+strings.Repeat(", ?", len(t.Columns)-1)+`)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r...); err != nil {
			return err
		}
	}
	return nil
}

// Commit indexes the loaded document pages for search (their details and
// facet terms, which the store writes as it saves a page, not triggers),
// then commits.
func (l sqliteLoader) Commit(ctx context.Context) error {
	if err := indexLoaded(ctx, l.tx); err != nil {
		_ = l.tx.Rollback()
		return fmt.Errorf("index the document pages: %w", err)
	}
	return l.tx.Commit()
}

// indexLoaded writes the search details and facet terms of every good
// document page in tx, a thousand at a time.
func indexLoaded(ctx context.Context, tx *sql.Tx) error {
	fts, err := tx.PrepareContext(ctx, ftsDetailsSQL)
	if err != nil {
		return err
	}
	defer fts.Close()
	add, err := tx.PrepareContext(ctx, termsAddSQL)
	if err != nil {
		return err
	}
	defer add.Close()
	after := ""
	for {
		var docs []harvest.Document
		rows, err := tx.QueryContext(ctx, `SELECT url, summary, fields, texts FROM documents WHERE ok = 1 AND url > ? ORDER BY url LIMIT 1000`, after)
		if err != nil {
			return err
		}
		for rows.Next() {
			var d harvest.Document
			var fields, texts string
			if err := rows.Scan(&d.URL, &d.Summary, &fields, &texts); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal([]byte(fields), &d.Fields); err != nil {
				rows.Close()
				return fmt.Errorf("fields of %s: %w", d.URL, err)
			}
			if err := json.Unmarshal([]byte(texts), &d.Texts); err != nil {
				rows.Close()
				return fmt.Errorf("texts of %s: %w", d.URL, err)
			}
			docs = append(docs, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(docs) == 0 {
			return nil
		}
		details, terms, err := indexBatches(docs)
		if err != nil {
			return err
		}
		if _, err := add.ExecContext(ctx, terms); err != nil {
			return err
		}
		if _, err := fts.ExecContext(ctx, details); err != nil {
			return err
		}
		after = docs[len(docs)-1].URL
	}
}
func (l sqliteLoader) Rollback(context.Context) error { return l.tx.Rollback() }
