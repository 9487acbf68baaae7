package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/files"
)

// verifyOptions are the flags of `harvest verify`.
type verifyOptions struct {
	db    string
	files string
}

func (m *Main) newVerifyCmd() *cobra.Command {
	var o verifyOptions
	cmd := &cobra.Command{
		Use:   "verify --files DIR",
		Short: "re-hash every downloaded attachment against the manifest",
		Long: "Re-hashes every file the database's manifest names (crawl --files) and\n" +
			"lists those missing from DIR and those whose content no longer matches.\n" +
			"Exit status 3 when any is missing or corrupt. The database is opened read-only.",
		Args: positional(0, 0, "takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return m.verify(cmd.Context(), o)
		},
	}
	addDBFlag(cmd.Flags(), &o.db, "")
	cmd.Flags().StringVar(&o.files, "files", "", "the `directory` crawl --files wrote")
	return cmd
}

func (m *Main) verify(ctx context.Context, o verifyOptions) error {
	if o.files == "" {
		return fmt.Errorf("%w: verify needs --files DIR", errUsage)
	}
	dir, err := files.OpenExisting(o.files)
	if err != nil {
		return err
	}
	st, err := openExisting(ctx, o.db)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := dir.VerifyManifest(ctx, func(fn func(harvest.FileEntry) error) error { return st.Files(ctx, fn) })
	if err != nil {
		return err
	}
	missing, corrupt := 0, 0
	for _, p := range rep.Problems {
		what := "unreadable"
		switch {
		case errors.Is(p.Err, files.ErrMissing):
			what = "missing"
			missing++
		case errors.Is(p.Err, files.ErrCorrupt):
			what = "corrupt"
			corrupt++
		}
		fmt.Fprintf(m.Stdout, "%s\t%s\t%s\t%s\t%v\n", what, files.Rel(p.Entry.SHA256), p.Entry.RecordURL, p.Entry.URL, p.Err)
	}
	fmt.Fprintf(m.Stdout, "%d manifest rows, %d files checked: %d missing, %d corrupt, %d unreadable\n",
		rep.Rows, rep.Files, missing, corrupt, len(rep.Problems)-missing-corrupt)
	if len(rep.Problems) > 0 {
		return fmt.Errorf("%w: %d of %d manifest rows name a missing or corrupt file", harvest.ErrPartial, len(rep.Problems), rep.Rows)
	}
	return nil
}
