package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// runIn runs the command line in this process and returns its stdout,
// stderr and error.
func runIn(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb}
	err = m.Run(context.Background(), args)
	return out.String(), errb.String(), err
}

// Every command's --help (and -h) goes to standard output, exit 0, so that
// `harvest crawl --help | less` works.
func TestHelpToStdout(t *testing.T) {
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			walk(sub, append(append([]string(nil), path...), sub.Name()))
		}
	}
	walk((&Main{}).newRootCmd(), nil)
	if len(paths) < 10 {
		t.Fatalf("only %d commands found", len(paths))
	}
	for _, path := range paths {
		for _, h := range []string{"--help", "-h"} {
			name := strings.Join(append(append([]string{"harvest"}, path...), h), " ")
			t.Run(name, func(t *testing.T) {
				stdout, stderr, err := runIn(t, append(append([]string(nil), path...), h)...)
				if exitCode(err, nil, func(string, int) {}) != exitOK {
					t.Errorf("exit %d: %v", exitCode(err, nil, func(string, int) {}), err)
				}
				if !strings.Contains(stdout, "Usage:") || stderr != "" {
					t.Errorf("help not on stdout alone:\nstdout: %q\nstderr: %q", stdout, stderr)
				}
			})
		}
	}
}

// Shell completion scripts come from the same definitions.
func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{"bash": "__start_harvest", "zsh": "#compdef harvest", "fish": "complete -c harvest"} {
		stdout, _, err := runIn(t, "completion", shell)
		if err != nil || !strings.Contains(stdout, want) {
			t.Errorf("completion %s: %v, script lacks %q", shell, err, want)
		}
	}
	// The dynamic completion of a flag's values: --format of export.
	stdout, _, err := runIn(t, "__complete", "export", "--format", "")
	if err != nil || !strings.Contains(stdout, "jsonl") {
		t.Errorf("--format completion: %v\n%s", err, stdout)
	}
}

// `harvest man DIR` writes a page per command.
func TestManPages(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, err := runIn(t, "man", dir); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, name := range []string{"harvest.1", "harvest-crawl.1", "harvest-export.1", "harvest-warc-index.1"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		if !bytes.Contains(b, []byte(".TH ")) {
			t.Errorf("%s is not a man page", name)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "harvest-crawl.1")); !bytes.Contains(b, []byte("concurrency")) {
		t.Error("harvest-crawl.1 does not list --concurrency")
	}
}

func TestVersion(t *testing.T) {
	info := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/harvest-archive/harvest", Version: "v0.1.1-0.20261128052800-0123456789ab"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef"},
			{Key: "vcs.time", Value: "2026-11-28T05:28:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	var b bytes.Buffer
	writeVersion(&b, readBuild(info))
	for _, want := range []string{"module:  v0.1.1-0.20261128052800-0123456789ab", "commit:  0123456789abcdef+modified", "date:    2026-11-28T05:28:00Z", "go:      go1.26.8"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("version output lacks %q:\n%s", want, b.String())
		}
	}
	if got := readBuild(nil); got.Commit != "unknown" || got.Date != "unknown" {
		t.Errorf("without build info: %+v", got)
	}
	stdout, _, err := runIn(t, "version")
	if err != nil || !strings.HasPrefix(stdout, "harvest ") || !strings.Contains(stdout, "commit:") {
		t.Errorf("harvest version: %v\n%s", err, stdout)
	}
}
