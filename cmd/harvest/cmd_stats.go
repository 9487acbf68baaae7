package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/export"
	"github.com/harvest-archive/harvest/store"
)

// statsOptions are the flags of `harvest stats`.
type statsOptions struct {
	db     string
	asJSON bool
}

func (m *Main) newStatsCmd() *cobra.Command {
	var o statsOptions
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "summarise a database: records, runs, completeness, failures, years",
		Long:  "Summarises a database: records, runs, completeness against the listing's\nlast known total, failed pages, and documents per year.",
		Args:  positional(0, 0, "takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return m.stats(cmd.Context(), o)
		},
	}
	addDBFlag(cmd.Flags(), &o.db, "")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print JSON for scripts")
	return cmd
}

func (m *Main) stats(ctx context.Context, o statsOptions) error {
	st, err := openExisting(ctx, o.db)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := st.Stats(ctx)
	if err != nil {
		return err
	}
	if o.asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	writeStats(m.Stdout, s)
	return nil
}

// writeStats prints the summary for a person.
func writeStats(w io.Writer, s store.Stats) {
	fmt.Fprintf(w, "Records: %d (%d listed, %d gone)\n", s.Records, s.Records-s.Gone, s.Gone)
	for _, l := range s.Listings {
		pct := 100.0
		if l.Total > 0 {
			pct = 100 * float64(l.Seen) / float64(l.Total)
		}
		fmt.Fprintf(w, "Complete: %d of %d the listing states (%.1f%%) at the last full walk, %s\n          %s\n",
			l.Seen, l.Total, pct, harvest.FormatTime(l.FinishedAt), l.Listing)
	}
	fmt.Fprintf(w, "\nRuns: %d\n", len(s.Runs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "id\tstarted\tduration\tmode\tpages\trequests\t304s\tnew\tchanged\tgone\toutcome\t")
	for _, r := range s.Runs {
		dur := "-"
		if !r.EndedAt.IsZero() {
			dur = r.EndedAt.Sub(r.StartedAt).String() // times are kept to the second
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", r.ID, harvest.FormatTime(r.StartedAt), dur, r.Mode,
			r.Pages, r.Requests, r.NotModified, r.New, r.Updated, r.Gone, r.Outcome)
	}
	tw.Flush()
	if len(s.FailedPages) > 0 {
		fmt.Fprintf(w, "\nPages to retry: %d\n", len(s.FailedPages))
		for _, f := range s.FailedPages {
			fmt.Fprintf(w, "  %s  %s (HTTP %d) %s\n", f.State, f.URL, f.Status, f.Error)
		}
	}
	if len(s.Years) > 0 {
		fmt.Fprintf(w, "\nDocuments per year (%d undated):\n", s.Undated)
		most := 0
		for _, y := range s.Years {
			most = max(most, y.Count)
		}
		for _, y := range s.Years {
			bar := strings.Repeat("#", max(1, y.Count*40/most))
			fmt.Fprintf(w, "  %s %6d %s\n", y.Year, y.Count, bar)
		}
	}
}

// historyOptions are the flags of `harvest history`.
type historyOptions struct {
	db     string
	format string
}

func (m *Main) newHistoryCmd() *cobra.Command {
	var o historyOptions
	cmd := &cobra.Command{
		Use:   "history URL",
		Short: "show the recorded changes of one record",
		Long:  "Shows the recorded changes of the record with that document URL: each\nchanged field with its old and new value, when, and on which listing page.",
		Args:  positional(1, 1, "takes one document URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.history(cmd.Context(), o, args[0])
		},
	}
	addDBFlag(cmd.Flags(), &o.db, "")
	cmd.Flags().StringVar(&o.format, "format", "", "print as csv, json or jsonl instead of text")
	cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(export.TableFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (m *Main) history(ctx context.Context, o historyOptions, rawURL string) error {
	if o.format != "" && !oneOf(o.format, export.TableFormats...) {
		return fmt.Errorf("%w: --format must be one of %s", errUsage, strings.Join(export.TableFormats, ", "))
	}
	u, err := harvest.CanonicalURL(nil, rawURL)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	st, err := openExisting(ctx, o.db)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, ok, err := st.Record(ctx, u); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("%s is unknown: the database %s holds no record of it", u, o.db)
	}
	if o.format != "" {
		_, err := export.WriteHistory(ctx, st, u, strings.ToLower(o.format), m.Stdout, export.Options{})
		return err
	}
	n := 0
	err = st.Changes(ctx, u, func(c harvest.Change) error {
		n++
		switch c.Field {
		case "gone":
			fmt.Fprintf(m.Stdout, "%s  gone from the listing\n", harvest.FormatTime(c.ChangedAt))
		case "returned":
			fmt.Fprintf(m.Stdout, "%s  back on the listing (%s)\n", harvest.FormatTime(c.ChangedAt), c.ListingURL)
		default:
			fmt.Fprintf(m.Stdout, "%s  %s  (seen on %s)\n    old: %s\n    new: %s\n", harvest.FormatTime(c.ChangedAt), c.Field, c.ListingURL, c.Old, c.New)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintf(m.Stdout, "no changes recorded for %s\n", u)
	}
	return nil
}
