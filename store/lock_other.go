//go:build !unix

package store

import (
	"errors"
	"fmt"
	"os"

	"github.com/harvest-archive/harvest"
)

// On systems without flock the lock is a file created exclusively; a process
// that dies leaves it behind, to be removed by hand.
type fileLock struct{ path string }

func acquire(path string) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("%s (remove it if no harvest runs): %w", path, harvest.ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f.Close()
	return &fileLock{path}, nil
}

func (l *fileLock) release() { _ = os.Remove(l.path) }
