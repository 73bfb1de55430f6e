package platform

import (
	"os"

	"golang.org/x/sys/unix"
)

// RenameExchange swaps oldpath and newpath in one step (renameat2 RENAME_EXCHANGE):
// each name then holds what the other did, and there is no moment
// without newpath; the directories are then fsync'ed. Both must exist.
// A file system that cannot exchange gives an error wrapping
// errors.ErrUnsupported (the caller renames in two steps).
func RenameExchange(oldpath, newpath string) error {
	err := unix.Renameat2(unix.AT_FDCWD, oldpath, unix.AT_FDCWD, newpath, unix.RENAME_EXCHANGE)
	if err == unix.EINVAL || err == unix.ENOSYS || err == unix.ENOTSUP {
		return &os.LinkError{Op: "exchange", Old: oldpath, New: newpath, Err: errUnsupported(err)}
	}
	if err != nil {
		return &os.LinkError{Op: "exchange", Old: oldpath, New: newpath, Err: err}
	}
	return syncParents(oldpath, newpath)
}
