package platform

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// checkBaseName refuses a name that is not one entry of a directory.
func checkBaseName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`+"\x00") {
		return fmt.Errorf("%q is not a file name", name)
	}
	return nil
}

// tempName is the random name WriteInDir creates first (a variable, so
// that a test can plant a file at the name before it is tried).
var tempName = func(name string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "." + name + ".tmp-" + hex.EncodeToString(b[:])
}

// tempAttempts bounds the random names WriteInDir tries.
const tempAttempts = 16

// readBounded reads at most limit bytes of f; more is an error.
func readBounded(f io.Reader, p string, limit int64) ([]byte, bool, error) {
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	if int64(len(data)) > limit {
		return nil, false, fmt.Errorf("read %s: longer than %d bytes", p, limit)
	}
	return data, true, nil
}

// ErrNotRegular is wrapped by WriteInDir and ReadInDir when the name is
// there but is not a regular file (a link, a FIFO, a directory): in a
// directory another user owns, something that user planted.
var ErrNotRegular = errors.New("not a regular file")
