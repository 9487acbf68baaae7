package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/harvest-archive/harvest/export"
)

// exportOptions are the flags of `harvest export`.
type exportOptions struct {
	db      string
	format  string
	out     string
	history bool
}

func (m *Main) newExportCmd() *cobra.Command {
	var o exportOptions
	cmd := &cobra.Command{
		Use:   "export",
		Short: "write the stored records as CSV, JSON or JSON Lines",
		Long:  "Writes every stored record, to standard output unless --out is given.\nColumns: url, title, date, date_text, summary, listing_url, first_seen, last_seen, gone_at.",
		Args:  positional(0, 0, "takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return m.export(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	addDBFlag(f, &o.db, "")
	f.StringVar(&o.format, "format", "", "csv, json or jsonl (default: from the --out file's extension, else csv)")
	f.StringVar(&o.out, "out", "", "write to this `file` (replaced whole, only when the export succeeds)")
	f.BoolVar(&o.history, "history", false, "write the change history instead: url, changed_at, field, old_value, new_value, listing_url")
	cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(export.Formats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (m *Main) export(ctx context.Context, o exportOptions) error {
	if o.format == "" {
		o.format = "csv"
		if ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(o.out)), "."); oneOf(ext, export.Formats...) {
			o.format = ext
		}
	}
	if !oneOf(o.format, export.Formats...) {
		return fmt.Errorf("%w: --format must be one of %s", errUsage, strings.Join(export.Formats, ", "))
	}
	st, err := openExisting(ctx, o.db)
	if err != nil {
		return err
	}
	defer st.Close()
	write := func(w io.Writer) (int, error) { return export.Write(ctx, st, strings.ToLower(o.format), w) }
	if o.history {
		write = func(w io.Writer) (int, error) { return export.WriteHistory(ctx, st, "", strings.ToLower(o.format), w) }
	}
	n, err := writeFile(o.out, m.Stdout, write)
	if err != nil {
		return err
	}
	if o.out != "" {
		fmt.Fprintf(m.Stderr, "harvest: wrote %d rows to %s\n", n, o.out)
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
