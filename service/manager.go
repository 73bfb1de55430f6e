package service

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	ks "github.com/kardianos/service"
)

// State is a service's state as the manager reports it.
type State string

// States.
const (
	NotInstalled State = "not-installed"
	Stopped      State = "stopped"
	Running      State = "running"
	Unknown      State = "unknown"
)

// Manager installs, starts, stops, removes and queries services through
// the host's service manager.
type Manager struct {
	log *slog.Logger
}

// New returns a Manager that logs to log.
func New(log *slog.Logger) *Manager { return &Manager{log: log} }

// Platform names the service manager in use: linux-systemd,
// unix-systemv, darwin-launchd, windows-service, ...
func (m *Manager) Platform() string { return ks.Platform() }

type nop struct{}

func (nop) Start(ks.Service) error { return nil }
func (nop) Stop(ks.Service) error  { return nil }

// config turns a Spec into kardianos' Config with the definition rendered
// by us for the platform in use.
func config(s Spec) *ks.Config {
	c := &ks.Config{
		Name: s.Name, DisplayName: s.DisplayName, Description: s.Description,
		Executable: s.Executable, Arguments: s.Args, WorkingDirectory: s.Dir, UserName: s.User,
		Option: ks.KeyValue{},
	}
	switch ks.Platform() {
	case "linux-systemd":
		c.Option["SystemdScript"] = SystemdUnit(s)
	case "unix-systemv":
		c.Option["SysvScript"] = SysVScript(s)
	case "darwin-launchd":
		c.Option["LaunchdConfig"] = LaunchdPlist(s)
	case "windows-service":
		w := Windows(s)
		c.UserName = w.Account
		c.Option["DelayedAutoStart"] = w.DelayedAutoStart
		c.Option["StartType"] = w.StartType
		c.Option["OnFailure"] = w.OnFailure
		c.Option["OnFailureDelayDuration"] = w.RestartDelay
		c.Option["OnFailureResetPeriod"] = w.ResetPeriodSec
	}
	return c
}

func (m *Manager) svc(s Spec) (ks.Service, error) {
	sv, err := ks.New(nop{}, config(s))
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", s.Name, err)
	}
	return sv, nil
}

// Status reports the state of the service named name.
func (m *Manager) Status(name string) (State, error) {
	sv, err := m.svc(Spec{Name: name})
	if err != nil {
		return Unknown, err
	}
	st, err := status(sv, name)
	if errors.Is(err, ks.ErrNotInstalled) {
		return NotInstalled, nil
	}
	if err != nil {
		return Unknown, fmt.Errorf("service %s: status: %w", name, err)
	}
	switch st {
	case ks.StatusRunning:
		return Running, nil
	case ks.StatusStopped:
		return Stopped, nil
	}
	return Unknown, nil
}

// Install installs s unless a service of that name is there already; it
// does not start it.
func (m *Manager) Install(s Spec) error {
	st, err := m.Status(s.Name)
	if err != nil {
		return err
	}
	if st != NotInstalled {
		m.log.Info("service already installed", "service", s.Name, "state", st, "manager", m.Platform())
		return nil
	}
	sv, err := m.svc(s)
	if err != nil {
		return err
	}
	if err := sv.Install(); err != nil {
		return fmt.Errorf("service %s: install (%s): %w", s.Name, m.Platform(), err)
	}
	m.log.Info("service installed", "service", s.Name, "manager", m.Platform(), "user", s.User)
	return nil
}

// Start starts the service unless it is running.
func (m *Manager) Start(name string) error {
	st, err := m.Status(name)
	if err != nil {
		return err
	}
	switch st {
	case Running:
		return nil
	case NotInstalled:
		return fmt.Errorf("service %s: start: not installed", name)
	}
	sv, err := m.svc(Spec{Name: name})
	if err != nil {
		return err
	}
	if err := sv.Start(); err != nil {
		return fmt.Errorf("service %s: start: %w", name, err)
	}
	m.log.Info("service started", "service", name)
	return nil
}

// Stop stops the service if it runs.
func (m *Manager) Stop(name string) error {
	st, err := m.Status(name)
	if err != nil {
		return err
	}
	if st != Running {
		return nil
	}
	sv, err := m.svc(Spec{Name: name})
	if err != nil {
		return err
	}
	if err := sv.Stop(); err != nil {
		return fmt.Errorf("service %s: stop: %w", name, err)
	}
	m.log.Info("service stopped", "service", name)
	return nil
}

// Uninstall stops and removes the service; a service that is not there is
// not an error.
func (m *Manager) Uninstall(name string) error {
	st, err := m.Status(name)
	if err != nil {
		return err
	}
	if st == NotInstalled {
		return cleanup(name)
	}
	if err := m.Stop(name); err != nil {
		return err
	}
	sv, err := m.svc(Spec{Name: name})
	if err != nil {
		return err
	}
	if err := sv.Uninstall(); err != nil && !strings.Contains(err.Error(), "not installed") {
		return fmt.Errorf("service %s: uninstall: %w", name, err)
	}
	if err := cleanup(name); err != nil {
		return err
	}
	m.log.Info("service removed", "service", name)
	return nil
}
