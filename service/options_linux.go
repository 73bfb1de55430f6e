package service

import (
	ks "github.com/kardianos/service"

	"github.com/runnerctl/runnerctl/platform"
)

// definition is the service definition runnerctl renders for s with the
// Linux service manager in use: kardianos' option that carries it, the
// file where the manager keeps it, and its text. All "" for a manager
// runnerctl does not render for (OpenRC, upstart, ...: kardianos' own).
func definition(s platform.ServiceSpec) (option, file, text string) {
	switch ks.Platform() {
	case "linux-systemd":
		return "SystemdScript", "/etc/systemd/system/" + s.Name + ".service", SystemdUnit(s)
	case "unix-systemv":
		return "SysvScript", "/etc/init.d/" + s.Name, SysVScript(s)
	}
	return "", "", ""
}

// prepareStatusDir does nothing on Linux: systemd makes the status
// directory from RuntimeDirectory=, and a SysV supervisor runs as root
// and makes it itself (a directory given to the runner user would only
// let a job plant things in it).
func prepareStatusDir(platform.ServiceSpec) error { return nil }
