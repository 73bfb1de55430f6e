package platform

import (
	"errors"
	"os/user"
)

// Account is a local user as a process runs as it: its name, home, uid,
// primary gid and supplementary groups (the primary one among them).
type Account struct {
	Name, Home string
	UID, GID   uint32
	Groups     []uint32
}

// UserExists reports whether a local account exists.
func UserExists(name string) (bool, error) {
	_, err := user.Lookup(name)
	if err == nil {
		return true, nil
	}
	var unknown user.UnknownUserError
	if errors.As(err, &unknown) {
		return false, nil
	}
	return false, err
}
