package platform

import (
	"errors"
	"fmt"
	"os/exec"
)

// LibraryCache returns what the dynamic loader's cache lists (`ldconfig
// -p`: one "soname (flags) => path" line per library) and true: the
// runner's .NET needs shared libraries of the host on Linux only.
func LibraryCache() (string, bool, error) {
	out, err := SystemCommand("ldconfig", "-p").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, ee.Stderr)
		}
		return "", true, fmt.Errorf("read the loader cache: ldconfig -p: %w", err)
	}
	return string(out), true, nil
}

// LibraryDirs are the directories the loader searches after its cache.
func LibraryDirs() []string {
	return []string{"/lib64", "/usr/lib64", "/lib", "/usr/lib"}
}

// UserCreatable says why CreateUser could not create a user here: nil
// when useradd is there (looked up, not run).
func UserCreatable() error {
	if err := SystemCommand("useradd").Err; err != nil {
		return fmt.Errorf("useradd is not installed (install the passwd or shadow-utils package): %w", err)
	}
	return nil
}
