//go:build !windows

package service

import (
	"errors"
	"log/slog"
	"strings"

	ks "github.com/kardianos/service"

	"github.com/runnerctl/runnerctl/platform"
)

// installService installs sv, whose definition (systemd unit, SysV
// script, launchd plist) says all of s.
func installService(sv ks.Service, _ platform.ServiceSpec, _ *slog.Logger) error { return sv.Install() }

// deleteService removes the definition kardianos installed; one that is
// not there is not an error.
func deleteService(name string) error {
	sv, err := newService(platform.ServiceSpec{Name: name})
	if err != nil {
		return err
	}
	if err := sv.Uninstall(); err != nil && !errors.Is(err, ks.ErrNotInstalled) && !strings.Contains(err.Error(), "not installed") {
		return err
	}
	return nil
}
