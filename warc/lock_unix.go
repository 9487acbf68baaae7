//go:build unix

package warc

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lockOpen marks f, a file being written, as held by a live writer: the
// lock goes with the file descriptor, so a writer that dies drops it. A
// recovery looking at the file at that moment holds it for an instant:
// lockOpen waits for it a little.
func lockOpen(f *os.File) error {
	for range 50 {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("lock %s: held by another process", f.Name())
}

// claimDead takes the file at path for recovery when no live writer holds
// it, and keeps it until release is called (through the truncation, the
// rename and the indexing): a writer cannot take it meanwhile.
func claimDead(path string) (release func(), ok bool) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, false
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	return func() { _ = f.Close() }, true
}
