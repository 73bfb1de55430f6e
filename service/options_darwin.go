package service

import (
	"os"

	"github.com/runnerctl/runnerctl/platform"
)

// definition is the LaunchDaemon plist runnerctl renders for s: kardianos'
// option that carries it, the file where launchd keeps it, and its text.
func definition(s platform.ServiceSpec) (option, file, text string) {
	return "LaunchdConfig", "/Library/LaunchDaemons/" + s.Name + ".plist", LaunchdPlist(s)
}

// prepareStatusDir makes the supervisor's status directory, which launchd
// does not: the supervisor runs as s.User and cannot make it in
// platform.RunDir().
func prepareStatusDir(s platform.ServiceSpec) error {
	if s.User == "" {
		return nil
	}
	d, err := StatusDir(s.Name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	return platform.ChownTree(d, s.User)
}
