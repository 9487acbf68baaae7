package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tempSuffix ends the name of an export being written: ".NAME.harvest-RANDOM.tmp"
// beside NAME.
const tempSuffix = ".tmp"

// syncFile puts a file's data on disk; tests replace it to see the order of
// the steps.
var syncFile = (*os.File).Sync

// writeFile runs write on out through a temporary file beside it, synced
// and then renamed into place, so that a failed or interrupted export never
// leaves half a file, and a crash right after it leaves the whole one. With
// out "" or "-", write runs on w (standard output); a symbolic link's target
// is replaced, and what is not a regular file (a named pipe, /dev/stdout) is
// written into.
//
// The file gets the mode a new file gets (0666 less the umask), or keeps the
// mode of the file it replaces. Temporary files of exports that were killed
// (kill -9, a power cut) are removed by the next export to the same name; one
// that another export is still writing is left alone (it holds a lock on it).
func writeFile(out string, w io.Writer, write func(io.Writer) (int, error)) (int, error) {
	if out == "" || out == "-" {
		return write(w)
	}
	// A link is followed: its target is replaced and the link stays.
	if real, err := filepath.EvalSymlinks(out); err == nil {
		out = real
	}
	if fi, err := os.Stat(out); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		return writeInto(out, write)
	}
	dir, base := filepath.Dir(out), filepath.Base(out)
	removeStaleTemps(dir, base)
	tmp, err := createTemp(dir, base)
	if err != nil {
		return 0, fmt.Errorf("export %s: %w", out, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := lockFile(tmp); err != nil {
		return 0, fmt.Errorf("export %s: lock %s: %w", out, tmp.Name(), err)
	}
	if fi, err := os.Stat(out); err == nil && fi.Mode().IsRegular() {
		if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
			return 0, fmt.Errorf("export %s: %w", out, err)
		}
	}
	n, err := write(tmp)
	if err != nil {
		return n, err
	}
	if err := syncFile(tmp); err != nil {
		return n, fmt.Errorf("export %s: sync: %w", out, err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	done = true
	if err := tmp.Close(); err != nil { // after the rename: the lock lasts until the file is in place
		return n, fmt.Errorf("export %s: %w", out, err)
	}
	syncDir(dir) // the rename itself reaches the disk
	return n, nil
}

// writeInto runs write on out, a file that is not a regular one (a named
// pipe, /dev/stdout, a device), opened for writing as a shell's > would: a
// rename would put a regular file in its place.
func writeInto(out string, write func(io.Writer) (int, error)) (int, error) {
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return 0, fmt.Errorf("export %s: %w", out, err)
	}
	n, err := write(f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("export %s: %w", out, cerr)
	}
	return n, err
}

// createTemp creates a new, empty temporary file for base in dir, with the
// mode a new file gets (0666 less the umask; os.CreateTemp would give 0600).
func createTemp(dir, base string) (*os.File, error) {
	for range 100 {
		b := make([]byte, 6)
		rand.Read(b)
		name := filepath.Join(dir, "."+base+".harvest-"+hex.EncodeToString(b)+tempSuffix)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, errors.New("cannot create a temporary file")
}

// removeStaleTemps removes the temporary files that exports to base in dir
// left when they were killed: those on which no process holds the lock.
func removeStaleTemps(dir, base string) {
	prefix := "." + base + ".harvest-"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, tempSuffix) {
			continue
		}
		path := filepath.Join(dir, name)
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		if tryLockFile(f) {
			os.Remove(path)
		}
		f.Close()
	}
}

// syncDir syncs a directory, so that a rename in it is on disk; where that
// is not possible it does nothing.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
