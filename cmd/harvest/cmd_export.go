package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/harvest-archive/harvest/export"
)

func (m *Main) export(ctx context.Context, args []string) error {
	fs := m.newFlags("export", "[flags]", "Writes every stored record, to standard output unless --out is given.\nColumns: url, title, date, date_text, summary, listing_url, first_seen, last_seen, gone_at.")
	db := fs.String("db", "harvest.db", "SQLite database `file`")
	format := fs.String("format", "", "csv, json or jsonl (default: from the --out file's extension, else csv)")
	out := fs.String("out", "", "write to this `file` (replaced whole, only when the export succeeds)")
	history := fs.Bool("history", false, "write the change history instead: url, changed_at, field, old_value, new_value, listing_url")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: export takes no arguments (got %q)", errUsage, pos[0])
	}
	if *format == "" {
		*format = "csv"
		if ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), "."); oneOf(ext, export.Formats...) {
			*format = ext
		}
	}
	if !oneOf(*format, export.Formats...) {
		return fmt.Errorf("%w: --format must be one of %s", errUsage, strings.Join(export.Formats, ", "))
	}
	st, err := openExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	write := func(w io.Writer) (int, error) { return export.Write(ctx, st, strings.ToLower(*format), w) }
	if *history {
		write = func(w io.Writer) (int, error) { return export.WriteHistory(ctx, st, "", strings.ToLower(*format), w) }
	}
	n, err := writeFile(*out, m.Stdout, write)
	if err != nil {
		return err
	}
	if *out != "" {
		fmt.Fprintf(m.Stderr, "harvest: wrote %d rows to %s\n", n, *out)
	}
	return nil
}

// writeFile runs write on out through a temporary file renamed into place,
// so a failed export never leaves half a file; with no out, on w.
func writeFile(out string, w io.Writer, write func(io.Writer) (int, error)) (int, error) {
	if out == "" {
		return write(w)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	n, err := write(tmp)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("export %s: %w", out, cerr)
	}
	if err != nil {
		return n, err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}
