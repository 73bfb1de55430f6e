package platform

import (
	"fmt"
)

// CreateUser creates name as a system user with a home directory and its
// own group (useradd --system). It is an error if it exists.
func CreateUser(name string) error {
	out, err := SystemCommand("useradd", "--system", "--user-group", "--create-home", "--shell", "/bin/bash", "--comment", "GitHub Actions runner", name).CombinedOutput()
	if err != nil {
		return fmt.Errorf("create user %s: useradd: %w: %s", name, err, out)
	}
	return nil
}

// DeleteUser removes a user created by CreateUser, with its home.
func DeleteUser(name string) error {
	out, err := SystemCommand("userdel", "--remove", name).CombinedOutput()
	if err != nil {
		return fmt.Errorf("delete user %s: userdel: %w: %s", name, err, out)
	}
	return nil
}
