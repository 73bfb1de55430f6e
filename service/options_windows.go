package service

import (
	"fmt"
	"os"
	"path/filepath"

	ks "github.com/kardianos/service"

	"github.com/runnerctl/runnerctl/platform"
)

// setOptions gives kardianos the SCM settings runnerctl chooses for s
// (see Windows): the account, start type and recovery actions. The
// command line is kardianos' Executable and Arguments, which
// mgr.CreateService quotes as windowsArg does; Install checks first that
// it round-trips (prepareStatusDir).
func setOptions(c *ks.Config, s platform.ServiceSpec) {
	w := windowsSCM(s)
	c.UserName = w.Account
	c.Option["DelayedAutoStart"] = w.DelayedAutoStart
	c.Option["StartType"] = w.StartType
	c.Option["OnFailure"] = w.OnFailure
	c.Option["OnFailureDelayDuration"] = w.RestartDelay
	c.Option["OnFailureResetPeriod"] = w.ResetPeriodSec
}

// checkDefinition reports why s's command line does not round-trip.
func checkDefinition(s platform.ServiceSpec) error {
	_, err := Windows(s)
	return err
}

// prepareStatusDir refuses a spec that does not render (CheckSpec) and
// makes the service's status directory: under a run directory only
// administrators change (any user may make folders in ProgramData: one
// could otherwise plant the status install's confirm step reads), a
// directory of its own, made afresh, that the service account (which
// runs the supervisor) may write.
func prepareStatusDir(s platform.ServiceSpec) error {
	if err := CheckSpec(s); err != nil {
		return err
	}
	d, err := StatusDir(s.Name)
	if err != nil {
		return err
	}
	if err := platform.SecureSharedDir(filepath.Dir(d)); err != nil {
		return err
	}
	if err := platform.RemoveTree(d); err != nil {
		return fmt.Errorf("status directory: %w", err)
	}
	if err := os.Mkdir(d, 0o755); err != nil {
		return fmt.Errorf("status directory: %w", err)
	}
	return platform.GrantServiceAccess(d, s.User)
}
