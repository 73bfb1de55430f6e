package platform

import (
	"errors"
	"fmt"
	"os/exec"
)

// Privileged is false on Windows: the runner runs as a service account and
// runnerctl changes no file ownership.
func Privileged() bool { return false }

// RunsAsUser is false on Windows: the runner runs as the service's
// account (see Privileged).
func RunsAsUser() bool { return false }

// LookupAccount is an error on Windows: accounts have SIDs, not numeric
// ids, and runnerctl runs nothing as another account there (RunsAsUser).
func LookupAccount(name string) (Account, error) {
	return Account{}, fmt.Errorf("look up user %s: numeric uids are a Unix notion: %w", name, errors.ErrUnsupported)
}

// RunAs does nothing on Windows: config.cmd runs as the elevated caller
// and the service account is set on the service.
func RunAs(cmd *exec.Cmd, name string) error { return nil }
