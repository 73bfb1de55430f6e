//go:build !linux && !windows

package platform

// RunDir holds the services' supervisor status files, one directory per
// service (emptied at boot: the files describe running processes).
func RunDir() string { return "/var/run/runnerctl" }

// systemStateDir is where macOS keeps system daemons' state.
const systemStateDir = "/var/db/runnerctl"
