//go:build unix

package warc

import (
	"os"

	"golang.org/x/sys/unix"
)

// lockOpen marks f, a file being written, as held by a live writer: the
// lock goes with the file descriptor, so a writer that dies drops it.
func lockOpen(f *os.File) { _ = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) }

// heldOpen reports whether a live writer holds the file at path.
func heldOpen(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); err != nil {
		return true
	}
	_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return false
}
