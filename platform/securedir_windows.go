package platform

import (
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// adminsOnly is a protected DACL: full control for SYSTEM and the
// Administrators group, inherited by what is made inside, nothing for
// anyone else (the meaning of 0700 root on Unix).
const adminsOnly = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"

// SecureDir makes dir and gives it (and what it holds) to SYSTEM and
// Administrators only; a reparse point (link) in its place is refused.
func SecureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("secure directory %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("secure directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("secure directory %s: it is a link or a file, not a directory: remove it", dir)
	}
	sd, err := windows.SecurityDescriptorFromString(adminsOnly)
	if err != nil {
		return fmt.Errorf("secure directory %s: %w", dir, err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("secure directory %s: %w", dir, err)
	}
	if err := windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		return fmt.Errorf("secure directory %s: set its ACL: %w", dir, err)
	}
	return nil
}

// LockFile takes an exclusive lock on path, waiting for another holder;
// unlock releases it.
func LockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	ol := new(windows.Overlapped)
	if err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, ol); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { _ = windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol); f.Close() }, nil
}

// CheckRootFile is a no-op on Windows: see CheckRootOnly.
func CheckRootFile(path string) error { return nil }

// CheckNoOtherLink is a no-op on Windows: see CheckRootOnly.
func CheckNoOtherLink(path string) error { return nil }

// CheckNoOtherWriter is a no-op on Windows: see CheckRootOnly.
func CheckNoOtherWriter(dir string) error { return nil }
