//go:build !windows

package platform

import (
	"fmt"
	"os"
	"syscall"
)

// OpenNoFollow opens path for reading, refusing a symbolic link in its
// place and anything but a regular file (a FIFO a job planted would block
// root's open and read forever: the open does not block, and the check
// comes before any read).
func OpenNoFollow(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("open %s: not a regular file (%s)", path, fi.Mode().Type())
	}
	return f, nil
}

// ReadRegular reads the file at path, which the caller named (links in
// it are followed), as long as it is a regular file of at most limit
// bytes: a FIFO, a device (/dev/zero) or a directory is refused before
// any read, and a longer file is an error, so that root given such a
// path neither blocks nor reads without end.
func ReadRegular(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readRegularOpen(f, path, limit)
}
