package pgstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/harvest-archive/harvest/store"
)

var _ store.Copyable = (*DB)(nil)

// ReadTable calls fn with each row of the table's columns; records come in
// the order first stored.
func (db *DB) ReadTable(ctx context.Context, t store.CopyTable, fn func(row []any) error) error {
	order := map[string]string{"records": "id", "frontier": "walk_id, seq, url", "pages": "url", "documents": "url", "files": "id"}[t.Name]
	if order == "" {
		order = "id"
	}
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = pgx.Identifier{c}.Sanitize()
	}
	return each(ctx, db.pool, `SELECT `+strings.Join(cols, ", ")+` FROM `+pgx.Identifier{t.Name}.Sanitize()+` ORDER BY `+order, nil, func(rows pgx.Rows) error {
		row, err := rows.Values()
		if err != nil {
			return err
		}
		return fn(row)
	})
}

// BeginLoad starts loading rows (with COPY) in one transaction; it fails
// with store.ErrNotEmpty when the database holds a walk or a record.
func (db *DB) BeginLoad(ctx context.Context) (store.Loader, error) {
	if db.readOnly {
		return nil, store.ErrReadOnly
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	var used bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM walks) OR EXISTS (SELECT 1 FROM records)`).Scan(&used); err != nil {
		tx.Rollback(ctx)
		return nil, err
	}
	if used {
		tx.Rollback(ctx)
		return nil, fmt.Errorf("%s: %w", db.name, store.ErrNotEmpty)
	}
	return pgLoader{tx}, nil
}

type pgLoader struct{ tx pgx.Tx }

func (l pgLoader) Load(ctx context.Context, t store.CopyTable, rows [][]any) error {
	_, err := l.tx.CopyFrom(ctx, pgx.Identifier{t.Name}, t.Columns, pgx.CopyFromRows(rows))
	return err
}

// Commit moves each id sequence past the ids copied, so that the next walk,
// run or change gets a new one, and commits.
func (l pgLoader) Commit(ctx context.Context) error {
	for _, t := range []string{"walks", "runs", "record_changes", "records", "files"} {
		if _, err := l.tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), COALESCE((SELECT MAX(id) FROM `+t+`), 0) + 1, false)`, t); err != nil {
			l.tx.Rollback(ctx)
			return fmt.Errorf("sequence of %s: %w", t, err)
		}
	}
	return l.tx.Commit(ctx)
}

func (l pgLoader) Rollback(ctx context.Context) error { return l.tx.Rollback(ctx) }
