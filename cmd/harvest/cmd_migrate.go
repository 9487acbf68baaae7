package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/harvest-archive/harvest/store"
	"github.com/harvest-archive/harvest/store/pgstore"
)

// migrateOptions are the flags of `harvest migrate`.
type migrateOptions struct {
	from, to string
	log      logOptions
}

func (m *Main) newMigrateCmd() *cobra.Command {
	var o migrateOptions
	cmd := &cobra.Command{
		Use:   "migrate --from DB --to DB",
		Short: "copy a whole harvest from one database to another (SQLite <-> PostgreSQL)",
		Long: "Copies everything a harvest holds (records, history, walks and their frontier,\n" +
			"runs, the page cache, document pages and the attachments manifest) from one\n" +
			"database into another, empty one, in one transaction: a SQLite file into\n" +
			"PostgreSQL (postgres://...) to grow without crawling again, or back. Each\n" +
			"side is a SQLite file or a postgres:// URL; both are locked while copying\n" +
			"(stop crawls of the source first).",
		Args: positional(0, 0, "takes no arguments; name the databases with --from and --to"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return m.migrate(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.from, "from", "", "the database to copy: a SQLite `file` or a postgres:// URL")
	f.StringVar(&o.to, "to", "", "the empty database to copy into: a SQLite `file` (created) or a postgres:// URL")
	o.log.addFlags(f)
	return cmd
}

func (m *Main) migrate(ctx context.Context, o migrateOptions) error {
	if o.from == "" || o.to == "" {
		return fmt.Errorf("%w: migrate needs --from and --to", errUsage)
	}
	if o.from == o.to {
		return fmt.Errorf("%w: --from and --to are the same database", errUsage)
	}
	log := m.logger(o.log, m.Stderr)
	open := func(dsn string) (store.Copyable, error) {
		b, err := store.OpenBackend(ctx, dsn, store.OpenOptions{Lock: true})
		if err != nil {
			return nil, err
		}
		c, ok := b.(store.Copyable)
		if !ok {
			b.Close()
			return nil, fmt.Errorf("%s: this kind of database cannot be copied", name(dsn))
		}
		return c, nil
	}
	src, err := open(o.from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := open(o.to)
	if err != nil {
		return err
	}
	defer dst.Close()
	counts, err := store.Copy(ctx, src, dst)
	if err != nil {
		return fmt.Errorf("migrate %s to %s: %w", name(o.from), name(o.to), err)
	}
	attrs := []any{"from", name(o.from), "to", name(o.to)}
	for _, t := range store.CopyTables {
		attrs = append(attrs, slog.Int(t.Name, counts[t.Name]))
	}
	log.Info("harvest copied", attrs...)
	return nil
}

// name is a database's name for messages: the path, or the URL without its
// password.
func name(dsn string) string {
	if store.IsFile(dsn) {
		return dsn
	}
	return pgstore.Redact(dsn)
}
