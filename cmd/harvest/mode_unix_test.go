//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// An exported file gets the mode the umask gives a new file, and a replaced
// file keeps its own.
func TestExportFileMode(t *testing.T) {
	dir, _ := crawled(t, 15)
	old := syscall.Umask(0o027) // the child inherits it
	defer syscall.Umask(old)
	out := filepath.Join(dir, "x.csv")
	mode := func() os.FileMode {
		t.Helper()
		fi, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	if code, _, stderr := run(t, dir, "export", "--db", "h.db", "--out", "x.csv"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if m := mode(); m != 0o640 {
		t.Errorf("new file: mode %v, want 0640 (0666 less the umask 027)", m)
	}
	if err := os.Chmod(out, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, dir, "export", "--db", "h.db", "--out", "x.csv"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if m := mode(); m != 0o644 {
		t.Errorf("replaced file: mode %v, want its own 0644", m)
	}
}
