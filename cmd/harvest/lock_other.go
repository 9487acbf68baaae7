//go:build !unix

package main

import "os"

// lockFile does nothing where flock is missing.
func lockFile(*os.File) error { return nil }

// tryLockFile reports false where flock is missing: temporary files of
// killed exports are left for a person to remove.
func tryLockFile(*os.File) bool { return false }
