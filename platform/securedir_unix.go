//go:build !windows

package platform

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// SecureDir makes dir (missing parents 0755) and leaves it a directory
// only this process's user can use: owned by it, mode 0700. A link in its
// place, one owned by another user, or a parent another user could
// rename it from is refused; a looser mode of our own is fixed.
func SecureDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("secure directory %s: %w", dir, err)
	}
	if Privileged() {
		if err := CheckNoOtherWriter(filepath.Dir(dir)); err != nil {
			return fmt.Errorf("secure directory %s: %w: choose a directory under root-owned parents", dir, err)
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("secure directory %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("secure directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("secure directory %s: it is a %s, not a directory: remove it", dir, fi.Mode().Type())
	}
	if !OwnedByUs(fi) {
		return fmt.Errorf("secure directory %s: it is owned by %s, not by this user: remove it or choose another directory", dir, owner(fi))
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("secure directory %s: %w", dir, err)
		}
	}
	return nil
}

// RestrictDir makes dir usable by its owner only (0700): a staging
// directory no other user may enter while it is filled and registered.
func RestrictDir(dir string) error { return os.Chmod(dir, 0o700) }

// MkdirRestricted makes dir (not its parents) usable by its owner only
// from its first moment (0700; no other user can have opened it before
// RestrictDir). An existing dir is an error (fs.ErrExist).
func MkdirRestricted(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700) // whatever the umask
}

// RestrictMovedTree does nothing outside Windows: a moved tree keeps its
// modes and owners (root's until ChownNoFollow).
func RestrictMovedTree(dir string) error { return nil }

// GrantServiceAccess does nothing outside Windows: the runner user owns
// its tree (ChownNoFollow).
func GrantServiceAccess(dir, account string) error { return nil }

// LockFile takes an exclusive lock on path (made 0600 when missing),
// waiting for another holder; unlock releases it.
func LockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// SecureSharedDir makes dir (0755): on Unix the callers check ownership
// and modes themselves (the cache's checks, the status directory's
// owner).
func SecureSharedDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("make directory %s: %w", dir, err)
	}
	return nil
}
