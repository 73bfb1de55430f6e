package platform

import (
	"errors"
	"os/user"
)

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
