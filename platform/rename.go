package platform

import (
	"errors"
	"fmt"
	"path/filepath"
)

// errUnsupported wraps a system's "cannot do that here" as errors.ErrUnsupported.
func errUnsupported(err error) error {
	return fmt.Errorf("%w (%w)", errors.ErrUnsupported, err)
}

// syncParents fsyncs the directories holding a and b, making a rename or
// exchange between them durable.
func syncParents(a, b string) error {
	for i, d := range []string{filepath.Dir(a), filepath.Dir(b)} {
		if i == 1 && filepath.Clean(d) == filepath.Clean(filepath.Dir(a)) {
			break
		}
		if err := syncDir(d); err != nil {
			return fmt.Errorf("sync %s: %w", d, err)
		}
	}
	return nil
}
