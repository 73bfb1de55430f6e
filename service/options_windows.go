package service

import (
	ks "github.com/kardianos/service"

	"github.com/runnerctl/runnerctl/platform"
)

// setOptions gives kardianos the SCM settings runnerctl chooses for s
// (see Windows): the account, start type and recovery actions.
func setOptions(c *ks.Config, s platform.ServiceSpec) {
	w := Windows(s)
	c.UserName = w.Account
	c.Option["DelayedAutoStart"] = w.DelayedAutoStart
	c.Option["StartType"] = w.StartType
	c.Option["OnFailure"] = w.OnFailure
	c.Option["OnFailureDelayDuration"] = w.RestartDelay
	c.Option["OnFailureResetPeriod"] = w.ResetPeriodSec
}

// prepareStatusDir does nothing on Windows: the supervisor runs as the
// service account and makes its status directory itself.
func prepareStatusDir(platform.ServiceSpec) error { return nil }
