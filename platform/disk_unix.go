//go:build !windows

package platform

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// FreeSpace returns the bytes an unprivileged user may still write on the
// file system that holds path (statfs: f_bavail blocks).
func FreeSpace(path string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("free space at %s: %w", path, err)
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil //nolint:unconvert // field types differ per OS
}
