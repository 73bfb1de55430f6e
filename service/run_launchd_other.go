//go:build !darwin

package service

// stoppedExitsZero is false outside macOS: systemd's
// RestartPreventExitStatus= and the SCM's recovery actions can tell
// ExitNoRestart from a failure, and SysV restarts nothing.
func stoppedExitsZero() bool { return false }

// launchAgentHost: no launchd here, no --launchd agent.
const launchAgentHost = false
