package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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

func (l sqliteLoader) Commit(context.Context) error   { return l.tx.Commit() }
func (l sqliteLoader) Rollback(context.Context) error { return l.tx.Rollback() }
