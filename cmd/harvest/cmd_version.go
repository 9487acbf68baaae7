package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/harvest-archive/harvest"
)

func (m *Main) newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version, the module version, the commit and its date",
		Long: "Prints harvest's version and what the Go build recorded: the module version,\n" +
			"the VCS commit (with +modified for uncommitted changes) and the commit's date,\n" +
			"and the Go version. A build without VCS information says unknown.",
		Args: positional(0, 0, "takes no arguments"),
		RunE: func(*cobra.Command, []string) error {
			info, _ := debug.ReadBuildInfo()
			writeVersion(m.Stdout, readBuild(info))
			return nil
		},
	}
}

// build is what `harvest version` prints.
type build struct {
	Module, Commit, Date, Go string
}

// readBuild takes the module version, commit and date from the build
// information the Go toolchain embeds (nil when there is none). Go records
// no build clock, so builds stay reproducible; the date is the commit's.
func readBuild(info *debug.BuildInfo) build {
	b := build{Module: "unknown", Commit: "unknown", Date: "unknown", Go: "unknown"}
	if info == nil {
		return b
	}
	b.Go = info.GoVersion
	if v := info.Main.Version; v != "" {
		b.Module = v
	}
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.Date = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && b.Commit != "unknown" {
		b.Commit += "+modified"
	}
	return b
}

func writeVersion(w io.Writer, b build) {
	fmt.Fprintf(w, "harvest %s\nmodule:  %s\ncommit:  %s\ndate:    %s\ngo:      %s\n",
		harvest.Version, b.Module, b.Commit, b.Date, b.Go)
}

// newManCmd is `harvest man DIR`, hidden from the command list: it writes a
// man page per command (harvest.1, harvest-crawl.1, ...) from the same
// definitions as --help, for packagers.
func (m *Main) newManCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "man DIR",
		Short:  "write the man pages (section 1) into DIR",
		Hidden: true,
		Args:   positional(1, 1, "takes one DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return fmt.Errorf("man: %w", err)
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true // the pages stay the same from build to build
			header := &doc.GenManHeader{Title: "HARVEST", Section: "1", Source: "harvest " + harvest.Version, Manual: "harvest manual"}
			if err := doc.GenManTree(root, header, args[0]); err != nil {
				return fmt.Errorf("man %s: %w", args[0], err)
			}
			fmt.Fprintf(m.Stderr, "harvest: man pages written to %s\n", args[0])
			return nil
		},
	}
}
