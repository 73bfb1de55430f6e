//go:build !linux

package platform

import (
	"fmt"
	"runtime"
)

// CreateUser is not done by runnerctl outside Linux: on Windows the runner
// runs as a service account, and on macOS accounts are made by the image
// builder (sysadminctl).
func CreateUser(name string) error {
	return fmt.Errorf("create user %s: runnerctl creates runner users on Linux only; create it first (macOS: sysadminctl -addUser %s)", name, name)
}

// DeleteUser: see CreateUser.
func DeleteUser(name string) error {
	return fmt.Errorf("delete user %s: not supported on %s", name, runtime.GOOS)
}
