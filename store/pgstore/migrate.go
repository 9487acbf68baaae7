package pgstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one embedded schema step, migrations/NNNN_name.sql, numbered
// as the SQLite step it mirrors.
type migration struct {
	version int
	name    string
	body    string
}

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

// ownSteps is where the steps of PostgreSQL's own begin (the fleet's
// leases and politeness): those below mirror the SQLite steps of the same
// number.
const ownSteps = 1000

// SchemaVersion is the newest migration applied of those that mirror the
// SQLite store's, so that the two compare (store.Copy).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE version < `+strconv.Itoa(ownSteps)).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// migrate applies, in one transaction holding a transaction-scoped advisory
// lock, every embedded step the database lacks. A worker that starts while
// another migrates waits for the lock and then finds nothing to do. Each
// applied step is recorded, so a step numbered below the newest (one
// mirrored later) is still applied.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	latest := ms[len(ms)-1].version
	return db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(`+migrateKey+`)`); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		applied := map[int]bool{}
		newest := 0
		err := each(ctx, tx, `SELECT version FROM schema_migrations`, nil, func(r pgx.Rows) error {
			var v int
			if err := r.Scan(&v); err != nil {
				return err
			}
			applied[v] = true
			newest = max(newest, v)
			return nil
		})
		if err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if newest > latest {
			return errNewer(newest, latest)
		}
		for _, m := range ms {
			if applied[m.version] {
				continue
			}
			if _, err := tx.Exec(ctx, m.body); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, m.version, db.now()); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}

// checkVersion refuses, for a read-only open, a database that is not a
// harvest or that a newer harvest migrated.
func (db *DB) checkVersion(ctx context.Context) error {
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if !exists {
		return fmt.Errorf("not a harvest database (it has no schema version)")
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	if latest := ms[len(ms)-1].version; v > latest {
		return errNewer(v, latest)
	}
	return nil
}

func errNewer(current, latest int) error {
	return fmt.Errorf("database schema version %d is newer than this harvest knows (%d): upgrade harvest", current, latest)
}
