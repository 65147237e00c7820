//go:build !unix && !windows

package local

import "os"

// tryLock has no lock to take on this system: one stack per state
// directory is then the user's to keep.
func tryLock(*os.File) (bool, error) { return true, nil }

// openLockFile opens (or creates) the lock file.
func openLockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}
