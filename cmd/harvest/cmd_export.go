package main

import (
	"context"
	"fmt"
	"io"
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
	quiet   bool
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
	f.StringVar(&o.format, "format", "", "csv, json or jsonl (default: from the --out file's extension, csv when it has none)")
	f.StringVar(&o.out, "out", "", "write to this `file` (replaced whole, only when the export succeeds; - for standard output)")
	f.BoolVar(&o.history, "history", false, "write the change history instead: url, changed_at, field, old_value, new_value, listing_url")
	f.BoolVar(&o.quiet, "quiet", false, "say nothing when the export succeeds (for cron)")
	cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(export.Formats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (m *Main) export(ctx context.Context, o exportOptions) error {
	if o.format == "" {
		o.format = "csv"
		if ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(o.out)), "."); o.out != "-" && ext != "" {
			if !oneOf(ext, export.Formats...) {
				return fmt.Errorf("%w: --out %s: harvest writes no .%s; name the format with --format (%s)", errUsage, o.out, ext, strings.Join(export.Formats, ", "))
			}
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
	if o.out != "" && o.out != "-" {
		m.logger(logOptions{quiet: o.quiet}, m.Stderr).Info("export written", "rows", n, "file", o.out)
	}
	return nil
}
