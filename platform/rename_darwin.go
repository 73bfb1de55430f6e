package platform

import (
	"os"

	"golang.org/x/sys/unix"
)

// RenameExchange swaps oldpath and newpath in one step (renamex_np RENAME_SWAP):
// each name then holds what the other did, and there is no moment
// without newpath; the directories are then fsync'ed. Both must exist.
// A file system that cannot exchange gives an error wrapping
// errors.ErrUnsupported (the caller renames in two steps).
func RenameExchange(oldpath, newpath string) error {
	err := unix.RenamexNp(oldpath, newpath, unix.RENAME_SWAP)
	if err == unix.EINVAL || err == unix.ENOTSUP {
		return &os.LinkError{Op: "exchange", Old: oldpath, New: newpath, Err: errUnsupported(err)}
	}
	if err != nil {
		return &os.LinkError{Op: "exchange", Old: oldpath, New: newpath, Err: err}
	}
	return syncParents(oldpath, newpath)
}
