//go:build !linux && !windows

package service

import "github.com/runnerctl/runnerctl/platform"

// managerState asks kardianos (launchd, the Windows SCM): runnerctl has
// no better source there, and no pid.
func managerState(name string) (platform.ServiceState, string, int, error) {
	st, err := kardianosState(name)
	return st, string(st), 0, err
}

// cleanup: kardianos leaves nothing behind outside Linux's SysV.
func cleanup(string) error { return nil }

// control: kardianos starts and stops services itself outside Linux.
func control(string, string) (bool, error) { return false, nil }
