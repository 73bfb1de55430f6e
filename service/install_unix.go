//go:build !windows

package service

import (
	"log/slog"

	ks "github.com/kardianos/service"

	"github.com/runnerctl/runnerctl/platform"
)

// installService installs sv, whose definition (systemd unit, SysV
// script, launchd plist) says all of s.
func installService(sv ks.Service, _ platform.ServiceSpec, _ *slog.Logger) error { return sv.Install() }
