package store

import (
	"context"
	"errors"
	"fmt"
)

// CopyTable is a table a harvest copy carries, with the columns both stores
// share, in the order copied.
type CopyTable struct {
	Name    string
	Columns []string
}

// CopyTables are the tables of a harvest, parents first, as Copy carries
// them. The schema versions table is not among them: each store keeps its
// own.
var CopyTables = []CopyTable{
	{"walks", []string{"id", "start_url", "started_at", "finished_at", "total", "kind", "listing"}},
	{"frontier", []string{"walk_id", "url", "seq", "state", "attempts", "status", "error", "records", "updated_at", "charset", "invalid_bytes", "kind"}},
	{"runs", []string{"id", "walk_id", "start_url", "started_at", "finished_at", "pages", "requests", "records_new", "records_updated",
		"records_unchanged", "failed_pages", "total_reported", "outcome", "message", "mode", "not_modified", "records_gone", "repaired_pages", "records"}},
	{"records", []string{"url", "title", "date", "date_text", "summary", "listing_url", "first_seen", "last_seen", "last_walk", "gone_at"}},
	{"record_changes", []string{"id", "url", "changed_at", "field", "old_value", "new_value", "listing_url", "run_id"}},
	{"pages", []string{"url", "etag", "last_modified", "next_url", "total", "record_urls", "fetched_at", "records_hash"}},
	{"documents", []string{"url", "fetch_url", "node_id", "title", "date", "date_text", "summary", "fields", "texts", "links",
		"ok", "status", "error", "attempts", "etag", "last_modified", "listing_hash", "walk_id", "fetched_at"}},
	{"files", []string{"record_url", "url", "position", "label", "content_type", "size", "sha256", "status", "error", "attempts", "fetched_at"}},
}

// Copyable is a store a harvest can be copied out of and into (harvest
// migrate): both stores are.
type Copyable interface {
	Backend
	// SchemaVersion is the newest migration applied.
	SchemaVersion(ctx context.Context) (int, error)
	// ReadTable calls fn with each row of the table's columns, in the
	// table's own order (records in the order first stored).
	ReadTable(ctx context.Context, t CopyTable, fn func(row []any) error) error
	// BeginLoad starts loading rows into the store, in one transaction; it
	// fails when the store holds a harvest already.
	BeginLoad(ctx context.Context) (Loader, error)
}

// A Loader adds rows to a store in one transaction.
type Loader interface {
	// Load adds rows of the table's columns.
	Load(ctx context.Context, t CopyTable, rows [][]any) error
	// Commit makes the rows durable (and moves id sequences past them).
	Commit(ctx context.Context) error
	// Rollback drops what was loaded.
	Rollback(ctx context.Context) error
}

// ErrNotEmpty means a copy was asked into a store that holds a harvest.
var ErrNotEmpty = errors.New("the destination holds a harvest already: copy into an empty database")

// CopyCounts is how many rows of each table a copy carried.
type CopyCounts map[string]int

// Copy copies the whole harvest in src into dst, which must be empty, in one
// transaction of dst: records keep their order, ids, times, history, walks,
// frontier and page cache, so that the copy exports, resumes and crawls on
// as the original. Both must be at the same schema version (opening with
// this harvest migrates them).
func Copy(ctx context.Context, src, dst Copyable) (CopyCounts, error) {
	sv, err := src.SchemaVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy: source: %w", err)
	}
	dv, err := dst.SchemaVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy: destination: %w", err)
	}
	if sv != dv {
		return nil, fmt.Errorf("copy: the source is at schema version %d and the destination at %d: open both with this harvest first", sv, dv)
	}
	l, err := dst.BeginLoad(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	counts := CopyCounts{}
	const batch = 2000
	for _, t := range CopyTables {
		var rows [][]any
		err := src.ReadTable(ctx, t, func(row []any) error {
			rows = append(rows, row)
			counts[t.Name]++
			if len(rows) < batch {
				return nil
			}
			err := l.Load(ctx, t, rows)
			rows = rows[:0]
			return err
		})
		if err == nil && len(rows) > 0 {
			err = l.Load(ctx, t, rows)
		}
		if err != nil {
			_ = l.Rollback(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("copy %s: %w", t.Name, err)
		}
	}
	if err := l.Commit(ctx); err != nil {
		return nil, fmt.Errorf("copy: commit: %w", err)
	}
	return counts, nil
}
