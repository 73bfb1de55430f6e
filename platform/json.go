package platform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ReadJSON decodes the JSON file at path into v (a leading UTF-8 byte
// order mark is skipped). found is false, with a
// nil error, when there is no file. A read error is the os error (it names
// path); a decoding error names path too.
func ReadJSON(path string, v any) (found bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, decodeJSON(path, b, v)
}

// ReadUntrustedJSON is ReadJSON for a file that a less trusted user can
// write (a supervisor's status file, written as the runner user): it
// refuses a link or anything but a regular file in path's place
// (OpenNoFollow) and reads at most limit bytes.
func ReadUntrustedJSON(path string, limit int64, v any) (found bool, err error) {
	f, err := OpenNoFollow(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return false, err
	}
	return true, decodeJSON(path, b, v)
}

// decodeJSON decodes b, less a UTF-8 byte order mark (the runner's .NET
// code writes .runner with one).
func decodeJSON(path string, b []byte, v any) error {
	if err := json.Unmarshal(bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF}), v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
