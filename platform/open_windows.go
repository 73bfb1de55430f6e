package platform

import (
	"fmt"
	"os"
)

// OpenNoFollow opens path for reading, refusing a symbolic link (or other
// reparse point) in its place and anything but a regular file.
func OpenNoFollow(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("open %s: not a regular file (%s)", path, fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if fi2, err := f.Stat(); err != nil || !os.SameFile(fi, fi2) {
		f.Close()
		return nil, fmt.Errorf("open %s: it changed while being opened", path)
	}
	return f, nil
}

// ReadRegular reads the file at path, which the caller named, as long as
// it is a regular file of at most limit bytes (a device or a directory is
// refused before any read).
func ReadRegular(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readRegularOpen(f, path, limit)
}
