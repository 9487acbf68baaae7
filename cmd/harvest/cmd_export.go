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
	// The export helper's flags (issues 9 and 11).
	spreadsheetSafe bool
	details         bool
	attachments     bool
	datapackage     bool
}

func (m *Main) newExportCmd() *cobra.Command {
	var o exportOptions
	cmd := &cobra.Command{
		Use:   "export",
		Short: "write the stored records as CSV, JSON, JSON Lines, Dublin Core or RIS",
		Long: "Writes every stored record, to standard output unless --out is given.\n" +
			"Columns: url, title, date, date_start, date_end, date_text, summary, listing_url, first_seen, last_seen, gone_at;\n" +
			"with --details the document page's fields after them. The README's Exports section says more.",
		Args: positional(0, 0, "takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return m.export(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	addDBFlag(f, &o.db, "")
	f.StringVar(&o.format, "format", "", "csv, json or jsonl (default: from the --out file's extension, csv when it has none)")
	f.StringVar(&o.out, "out", "", "write to this `file` (replaced whole, only when the export succeeds; - for standard output)")
	f.BoolVar(&o.history, "history", false, "write the change history instead: url, changed_at, field, old_value, new_value, listing_url")
	f.BoolVar(&o.spreadsheetSafe, "spreadsheet-safe", false, "prefix with ' every text value that begins with =, +, -, @, tab or CR, so a spreadsheet shows it and runs nothing")
	f.BoolVar(&o.details, "details", false, "add each record's document page: its fields, node id, texts and attachment links")
	f.BoolVar(&o.attachments, "attachments", false, "write the downloaded files' manifest instead: record_url, url, label, content_type, size, sha256, fetched_at")
	f.BoolVar(&o.datapackage, "datapackage", false, "write a Frictionless datapackage.json describing the CSV beside the --out file")
	f.BoolVar(&o.quiet, "quiet", false, "say nothing when the export succeeds (for cron)")
	cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(export.Formats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (m *Main) export(ctx context.Context, o exportOptions) error {
	if o.format == "" {
		o.format = "csv"
		if ext := filepath.Ext(o.out); o.out != "-" && ext != "" {
			f := export.FormatOf(o.out)
			if f == "" {
				return fmt.Errorf("%w: --out %s: harvest writes no %s; name the format with --format (%s)", errUsage, o.out, ext, strings.Join(export.Formats, ", "))
			}
			o.format = f
		}
	}
	o.format = strings.ToLower(o.format)
	if !oneOf(o.format, export.Formats...) {
		return fmt.Errorf("%w: --format must be one of %s", errUsage, strings.Join(export.Formats, ", "))
	}
	plan, err := o.plan()
	if err != nil {
		return err
	}
	st, err := openExisting(ctx, o.db)
	if err != nil {
		return err
	}
	defer st.Close()
	opt := export.Options{SpreadsheetSafe: o.spreadsheetSafe}
	write := func(w io.Writer) (int, error) { return export.WriteRecords(ctx, st, o.format, w, opt) }
	switch {
	case o.history:
		write = func(w io.Writer) (int, error) { return export.WriteHistory(ctx, st, "", o.format, w, opt) }
	case o.attachments:
		write = func(w io.Writer) (int, error) { return export.WriteFiles(ctx, st, o.format, w, opt) }
	case o.details:
		write = func(w io.Writer) (int, error) { return export.WriteDetails(ctx, st, o.format, w, opt) }
	}
	n, err := writeFile(o.out, m.Stdout, write)
	if err != nil {
		return err
	}
	if o.out != "" && o.out != "-" {
		m.logger(logOptions{quiet: o.quiet}, m.Stderr).Info("export written", "rows", n, "file", o.out)
	}
	if o.datapackage {
		pkgPath := filepath.Join(filepath.Dir(o.out), "datapackage.json")
		if _, err := writeFile(pkgPath, nil, func(w io.Writer) (int, error) { _, err := plan.WriteTo(w); return 1, err }); err != nil {
			return err
		}
		m.logger(logOptions{quiet: o.quiet}, m.Stderr).Info("datapackage written", "file", pkgPath)
	}
	return nil
}

// plan checks that the export flags go together, and with --datapackage
// makes the package that will describe the CSV.
func (o exportOptions) plan() (export.DataPackage, error) {
	kinds := 0
	for _, on := range []bool{o.history, o.details, o.attachments} {
		if on {
			kinds++
		}
	}
	if kinds > 1 {
		return export.DataPackage{}, fmt.Errorf("%w: --history, --details and --attachments each choose what to export: give one", errUsage)
	}
	if (o.history || o.attachments) && !oneOf(o.format, export.TableFormats...) {
		return export.DataPackage{}, fmt.Errorf("%w: --history and --attachments write a table: --format csv, json or jsonl", errUsage)
	}
	if !o.datapackage {
		return export.DataPackage{}, nil
	}
	if o.format != "csv" || o.out == "" || o.out == "-" {
		return export.DataPackage{}, fmt.Errorf("%w: --datapackage describes a CSV file: give --out FILE.csv", errUsage)
	}
	name, cols, key := "records", export.RecordColumns, "url"
	switch {
	case o.history:
		name, cols, key = "history", export.ChangeColumns, ""
	case o.attachments:
		name, cols, key = "files", export.FileColumns, ""
	case o.details:
		name, cols = "details", export.DetailColumns
	}
	p, err := export.NewDataPackage(name, filepath.Base(o.out), cols, key)
	if err != nil {
		return p, fmt.Errorf("%w: %w", errUsage, err)
	}
	return p, nil
}
