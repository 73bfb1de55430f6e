package service

import (
	"fmt"

	"golang.org/x/sys/windows/svc/mgr"

	"github.com/runnerctl/runnerctl/platform"
)

// finishInstall makes the SCM's recovery actions (set by kardianos from
// setOptions) apply when the service stops with a non-zero exit code, not
// only when its process dies: see scmHandler.Execute for which ends are
// restarted.
func finishInstall(s platform.ServiceSpec) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("service %s: %w", s.Name, err)
	}
	defer m.Disconnect()
	sv, err := m.OpenService(s.Name)
	if err != nil {
		return fmt.Errorf("service %s: %w", s.Name, err)
	}
	defer sv.Close()
	if err := sv.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return fmt.Errorf("service %s: restart on a failed exit: %w", s.Name, err)
	}
	return nil
}
