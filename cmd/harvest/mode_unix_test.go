//go:build unix

package main

import (
	"io"
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

// An export to what is not a regular file writes into it, as a shell's >
// would: a named pipe (or /dev/stdout, /dev/null) stays what it is, and a
// symbolic link keeps pointing where it did, its target replaced. A rename
// over them would put a regular file in their place.
func TestExportIntoPipeAndLink(t *testing.T) {
	dir := t.TempDir()
	write := func(out string) {
		t.Helper()
		if _, err := writeFile(out, nil, func(w io.Writer) (int, error) {
			_, err := io.WriteString(w, "url,title\n")
			return 1, err
		}); err != nil {
			t.Fatal(err)
		}
	}

	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0) // a reader, so the writer's open does not wait
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	write(fifo)
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the named pipe was replaced: %v, %v", fi.Mode(), err)
	}
	buf := make([]byte, 64)
	if n, _ := r.Read(buf); string(buf[:n]) != "url,title\n" {
		t.Errorf("the pipe's reader got %q", buf[:n])
	}

	target := filepath.Join(dir, "2026-11.csv")
	link := filepath.Join(dir, "latest.csv")
	os.WriteFile(target, []byte("old\n"), 0o644)
	if err := os.Symlink("2026-11.csv", link); err != nil {
		t.Fatal(err)
	}
	write(link)
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a file: %v, %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "url,title\n" {
		t.Errorf("the link's target holds %q", b)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
