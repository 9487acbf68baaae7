package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one embedded schema step, migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	body    string
}

// migrations lists the embedded schema steps in order.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	out := make([]migration, 0, len(names))
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(name, "migrations/"), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: bad name", name)
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", name, err)
		}
		out = append(out, migration{version: v, name: name, body: string(body)})
	}
	return out, nil
}

// latestVersion is the version of the newest embedded migration.
func latestVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// SchemaVersion is the newest migration applied.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	return schemaVersion(ctx, db.db)
}

// querier is what reading the schema version needs: a database or a
// transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// schemaVersion reads the newest migration applied, 0 for a database that
// has no schema_migrations table yet.
func schemaVersion(ctx context.Context, q querier) (int, error) {
	var exists bool
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// errNewer is the refusal of a database written by a newer harvest.
func errNewer(current, latest int) error {
	return fmt.Errorf("database schema version %d is newer than this harvest knows (%d): upgrade harvest", current, latest)
}

// migrate brings the schema to the newest version. Several processes may
// open the same new database at once: each step runs in its own write
// transaction (BEGIN IMMEDIATE, as the DSN's _txlock asks), which reads the
// version again inside, so a step another process applied meanwhile is
// skipped rather than applied twice. The busy timeout covers the wait.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	// Fast path, without the write lock: versions only grow. A read can meet
	// SQLITE_BUSY without the busy handler while another process makes a
	// new file WAL; then every step decides under the lock instead.
	current, err := db.SchemaVersion(ctx)
	if err != nil {
		current = 0
	}
	if current > latest {
		return errNewer(current, latest)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if err := db.step(ctx, m); err != nil {
			return err
		}
	}
	if current, err = db.SchemaVersion(ctx); err != nil {
		return err
	}
	if current > latest {
		return errNewer(current, latest)
	}
	return nil
}

// step applies one migration unless the database already has it.
func (db *DB) step(ctx context.Context, m migration) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		current, err := schemaVersion(ctx, tx)
		if err != nil {
			return err
		}
		if current >= m.version {
			return nil // another process was first
		}
		if _, err := tx.ExecContext(ctx, m.body); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, m.version, db.now()); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		return nil
	})
}
