package service

import (
	ks "github.com/kardianos/service"

	"github.com/runnerctl/runnerctl/platform"
)

// definition is the service definition runnerctl renders for s with the
// Linux service manager in use: kardianos' option that carries it, the
// file where the manager keeps it, its text, and why s cannot be
// rendered. All "" for a manager runnerctl does not render for (OpenRC,
// upstart, ...: kardianos' own).
func definition(s platform.ServiceSpec) (option, file, text string, err error) {
	switch ks.Platform() {
	case "linux-systemd":
		text, err = SystemdUnit(s)
		return "SystemdScript", "/etc/systemd/system/" + s.Name + ".service", text, err
	case "unix-systemv":
		text, err = SysVScript(s)
		return "SysvScript", "/etc/init.d/" + s.Name, text, err
	}
	return "", "", "", nil
}

// checkDefinition reports why s does not render for the manager in use.
func checkDefinition(s platform.ServiceSpec) error {
	_, _, _, err := definition(s)
	return err
}

// prepareStatusDir refuses a spec that does not render (CheckSpec), the
// last step of Install before kardianos writes the definition. The status
// directory itself is the manager's: systemd makes it from
// RuntimeDirectory=, the SysV init script at every start (for the user
// the supervisor runs as).
func prepareStatusDir(s platform.ServiceSpec) error { return CheckSpec(s) }
