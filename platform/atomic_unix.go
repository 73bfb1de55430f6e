//go:build !windows

package platform

import (
	"errors"
	"os"
	"syscall"
)

// syncDir fsyncs a directory, making the renames in it durable. A file
// system that cannot sync directories (EINVAL, ENOTSUP) is not an error.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}
