package platform

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// FreeSpace returns the bytes the caller may still write on the volume
// that holds path.
func FreeSpace(path string) (uint64, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return 0, fmt.Errorf("free space at %s: %w", path, err)
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &free); err != nil {
		return 0, fmt.Errorf("free space at %s: %w", path, err)
	}
	return avail, nil
}
