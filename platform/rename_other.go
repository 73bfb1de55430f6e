//go:build !linux && !darwin

package platform

import (
	"errors"
	"os"
)

// RenameExchange is not available here: it returns an error wrapping
// errors.ErrUnsupported, and the caller renames in two steps.
func RenameExchange(oldpath, newpath string) error {
	return &os.LinkError{Op: "exchange", Old: oldpath, New: newpath, Err: errors.ErrUnsupported}
}
