package service

import (
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

// prepareStatusDir refuses a spec that does not render (CheckSpec); the
// supervisor runs as the service account and makes its status directory
// itself.
func prepareStatusDir(s platform.ServiceSpec) error { return CheckSpec(s) }
