//go:build !windows

package service

import (
	"errors"
	"io/fs"
	"os"

	ks "github.com/kardianos/service"

	"github.com/runnerctl/runnerctl/platform"
)

// definitionFile is where the manager in use keeps service name's
// definition, as kardianos writes it; "" for a manager runnerctl does not
// render for.
func definitionFile(name string) string {
	switch ks.Platform() {
	case "linux-systemd":
		return "/etc/systemd/system/" + name + ".service"
	case "unix-systemv":
		return "/etc/init.d/" + name
	case "darwin-launchd":
		return "/Library/LaunchDaemons/" + name + ".plist"
	}
	return ""
}

// sameDefinition reports whether the installed definition of s.Name is
// the one runnerctl renders for s now.
func sameDefinition(s platform.ServiceSpec) (bool, error) {
	p := definitionFile(s.Name)
	if p == "" {
		return true, nil
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return string(b) == rendered(s), nil
}

// rendered is the definition runnerctl writes for s with the manager in use.
func rendered(s platform.ServiceSpec) string {
	switch ks.Platform() {
	case "linux-systemd":
		return SystemdUnit(s)
	case "unix-systemv":
		return SysVScript(s)
	case "darwin-launchd":
		return LaunchdPlist(s)
	}
	return ""
}
