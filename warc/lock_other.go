//go:build !unix

package warc

import (
	"os"
	"time"
)

func lockOpen(*os.File) {}

// heldOpen reports whether the file at path may still be written: without
// flock, a file changed in the last minute is taken for a live writer's.
func heldOpen(path string) bool {
	st, err := os.Stat(path)
	return err == nil && time.Since(st.ModTime()) < time.Minute
}
