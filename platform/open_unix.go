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
