package service

import (
	"fmt"
	"os"
)

// openNoFollow opens path for reading, refusing a symbolic link (or other
// reparse point) in its place.
func openNoFollow(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&os.ModeSymlink != 0 || fi.Mode()&os.ModeIrregular != 0 {
		return nil, fmt.Errorf("open %s: a link is in its place", path)
	}
	return os.Open(path)
}
