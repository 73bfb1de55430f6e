package platform

import (
	"fmt"
	"os"
)

// readRegularOpen is ReadRegular's work on the open file f.
func readRegularOpen(f *os.File, path string, limit int64) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("read %s: %w (%s)", path, ErrNotRegular, fi.Mode().Type())
	}
	data, _, err := readBounded(f, path, limit)
	return data, err
}
