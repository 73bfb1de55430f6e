package service

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	ks "github.com/kardianos/service"

	"github.com/runnerctl/runnerctl/platform"
)

// Manager installs, starts, stops, removes and queries services through
// the host's service manager.
type Manager struct {
	log *slog.Logger
	// agentUser says whose GUI session holds service name's launchd
	// agent, "" when it is no agent (FindAgents).
	agentUser func(name string) (string, error)
}

// New returns a Manager that logs to log.
func New(log *slog.Logger) *Manager { return &Manager{log: log} }

// FindAgents tells m, on macOS, which services are launchd agents
// (--launchd agent) and in whose session: user(name) returns the runner
// user of service name when it is an agent, else "" (the trusted
// store's answer). Without it every service is a LaunchDaemon.
func (m *Manager) FindAgents(user func(name string) (string, error)) *Manager {
	m.agentUser = user
	return m
}

// agentOf is service name's launchd agent; nil for any other service.
func (m *Manager) agentOf(name string) (*launchAgent, error) {
	if !launchAgentHost || m.agentUser == nil {
		return nil, nil
	}
	user, err := m.agentUser(name)
	if err != nil || user == "" {
		return nil, err
	}
	return newLaunchAgent(name, user, m.log)
}

// managerState is the host manager's state of service name (the launchd
// agent's for one).
func (m *Manager) managerState(name string) (platform.ServiceState, string, int, error) {
	a, err := m.agentOf(name)
	if err != nil {
		return platform.ServiceUnknown, "", 0, err
	}
	if a != nil {
		return a.state()
	}
	return managerState(name)
}

// Platform names the service manager in use: linux-systemd,
// unix-systemv, darwin-launchd, windows-service, ...
func (m *Manager) Platform() string { return ks.Platform() }

type nop struct{}

func (nop) Start(ks.Service) error { return nil }
func (nop) Stop(ks.Service) error  { return nil }

// config turns a Spec into kardianos' Config with the definition rendered
// by us for the service manager in use (setOptions, per OS).
func config(s platform.ServiceSpec) *ks.Config {
	c := &ks.Config{
		Name: s.Name, DisplayName: s.DisplayName, Description: s.Description,
		Executable: s.Executable, Arguments: s.Args, WorkingDirectory: s.Dir, UserName: s.User,
		Option: ks.KeyValue{},
	}
	setOptions(c, s) // per OS: options_*.go
	return c
}

func newService(s platform.ServiceSpec) (ks.Service, error) {
	sv, err := ks.New(nop{}, config(s))
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", s.Name, err)
	}
	return sv, nil
}

// state asks the manager only.
func (m *Manager) state(name string) (platform.ServiceState, error) {
	st, _, _, err := m.managerState(name)
	return st, err
}

// Status reports the service named name: the manager's state and words,
// and what its supervisor last wrote to its status file ("last run: ..."
// when that was not the running process).
func (m *Manager) Status(name string) (platform.ServiceStatus, error) {
	st, detail, mainPID, err := m.managerState(name)
	if err != nil {
		return platform.ServiceStatus{State: platform.ServiceUnknown, Detail: err.Error()}, err
	}
	out := platform.ServiceStatus{State: st, Detail: detail}
	if st == platform.ServiceNotInstalled {
		return out, nil
	}
	sup, err := ReadSupervisorStatus(name)
	if err != nil {
		out.Detail += "; " + err.Error()
		return out, nil
	}
	out.Supervised = st == platform.ServiceRunning && sup != nil && ((mainPID != 0 && sup.PID == mainPID) || (mainPID == 0 && processAlive(sup.PID)))
	out.Listening = out.Supervised && sup.State == SupListening
	if sup != nil {
		out.Watch = sup.view(out.Supervised)
	}
	switch {
	case out.Supervised:
		out.Supervisor = sup.String()
	case sup != nil:
		out.Supervisor = "last run: " + sup.String()
	case st == platform.ServiceRunning:
		out.Supervisor = "no status from the running supervisor yet"
	}
	return out, nil
}

// Names returns the official service name and display name of a runner
// (see Name).
func (m *Manager) Names(scope, runnerName string) (name, display string) {
	return Name(scope, runnerName), DisplayName(scope, runnerName)
}

// Logs returns the service's last n log lines since a time.
func (m *Manager) Logs(name string, since time.Time, n int) []string {
	if a, _ := m.agentOf(name); a != nil {
		return agentLogs(a, n)
	}
	return logs(name, since, n)
}

// Install installs s, or, when a service of that name is there with
// another definition than s's (another runnerctl path, an older
// runnerctl's unit, an edit by hand), stops it and installs s's in its
// place. It reports whether it changed anything; it does not start it.
func (m *Manager) Install(s platform.ServiceSpec) (changed bool, err error) {
	if err := m.replaceLaunchdKind(s); err != nil {
		return false, err
	}
	if s.Launchd == platform.LaunchAgent {
		return m.installAgent(s)
	}
	st, _, _, err := managerState(s.Name)
	if err != nil {
		return false, err
	}
	if st != platform.ServiceNotInstalled {
		same, err := sameDefinition(s)
		if err != nil {
			return false, fmt.Errorf("service %s: read its definition: %w", s.Name, err)
		}
		if same {
			m.log.Debug("service installed, definition up to date", "service", s.Name, "state", st, "manager", m.Platform())
			return false, nil
		}
		m.log.Warn("service definition differs from the one runnerctl writes now: replacing it", "service", s.Name, "manager", m.Platform())
		if err := m.Uninstall(s.Name); err != nil {
			return false, err
		}
	}
	if err := prepareStatusDir(s); err != nil {
		return false, fmt.Errorf("service %s: %w", s.Name, err)
	}
	sv, err := newService(s)
	if err != nil {
		return false, err
	}
	if err := installService(sv, s, m.log); err != nil { // per OS: install_*.go
		return false, fmt.Errorf("service %s: install (%s): %w", s.Name, m.Platform(), err)
	}
	m.log.Info("service installed", "service", s.Name, "manager", m.Platform(), "user", s.User)
	return true, nil
}

// Restart stops the service if it runs and starts it.
func (m *Manager) Restart(name string) error {
	if a, err := m.agentOf(name); a != nil || err != nil {
		if err == nil {
			err = a.restart()
		}
		return wrapOp(name, "restart", err)
	}
	if err := m.Stop(name); err != nil {
		return err
	}
	return m.Start(name)
}

// Start starts the service unless it is running. A service that is
// restarting or failed is started now.
func (m *Manager) Start(name string) error {
	st, err := m.state(name)
	if err != nil {
		return err
	}
	switch st {
	case platform.ServiceRunning:
		return nil
	case platform.ServiceNotInstalled:
		return fmt.Errorf("service %s: start: not installed", name)
	}
	if err := m.control(name, "start"); err != nil {
		return err
	}
	m.log.Info("service started", "service", name)
	return nil
}

// control starts or stops the service: a launchd agent with launchctl,
// the SysV script directly, kardianos elsewhere.
func (m *Manager) control(name, action string) error {
	a, err := m.agentOf(name)
	switch {
	case err != nil:
	case a != nil && action == "start":
		err = a.start()
	case a != nil:
		err = a.stop()
	default:
		return controlDaemon(name, action)
	}
	return wrapOp(name, action, err)
}

// controlDaemon starts or stops a service that is no launchd agent.
func controlDaemon(name, action string) error {
	handled, err := control(name, action)
	if !handled {
		var sv ks.Service
		if sv, err = newService(platform.ServiceSpec{Name: name}); err == nil {
			if action == "start" {
				err = sv.Start()
			} else {
				err = sv.Stop()
			}
		}
	}
	return wrapOp(name, action, err)
}

// wrapOp names the service and the action in err.
func wrapOp(name, action string, err error) error {
	if err != nil {
		return fmt.Errorf("service %s: %s: %w", name, action, err)
	}
	return nil
}

// Stop stops the service unless it is stopped (a restarting or failed
// service is stopped too, so that it is not started again behind us).
func (m *Manager) Stop(name string) error {
	st, err := m.state(name)
	if err != nil {
		return err
	}
	if st == platform.ServiceStopped || st == platform.ServiceNotInstalled {
		return nil
	}
	if err := m.control(name, "stop"); err != nil {
		return err
	}
	m.log.Info("service stopped", "service", name)
	return nil
}

// Uninstall stops and removes the service; a service that is not there is
// not an error.
func (m *Manager) Uninstall(name string) error {
	st, err := m.state(name)
	if err != nil {
		return err
	}
	if st == platform.ServiceNotInstalled {
		return removeLeftovers(name)
	}
	if err := m.Stop(name); err != nil {
		return err
	}
	if err := m.removeDefinition(name); err != nil {
		return fmt.Errorf("service %s: uninstall: %w", name, err)
	}
	if err := removeLeftovers(name); err != nil {
		return err
	}
	m.log.Info("service removed", "service", name)
	return nil
}

// removeLeftovers removes what a removed service leaves: kardianos' SysV
// leftovers and the supervisor's status directory.
func removeLeftovers(name string) error {
	if err := cleanup(name); err != nil {
		return err
	}
	if d, err := StatusDir(name); err == nil {
		if err := platform.RemoveTree(d); err != nil {
			return fmt.Errorf("service %s: remove %s: %w", name, d, err)
		}
		_ = os.Remove(filepath.Dir(d)) // the last service's: empty now
	}
	return nil
}

// kardianosState asks kardianos for the state (launchd, Windows, OpenRC, ...).
func kardianosState(name string) (platform.ServiceState, error) {
	sv, err := newService(platform.ServiceSpec{Name: name})
	if err != nil {
		return platform.ServiceUnknown, err
	}
	st, err := sv.Status()
	if errors.Is(err, ks.ErrNotInstalled) {
		return platform.ServiceNotInstalled, nil
	}
	if err != nil {
		return platform.ServiceUnknown, fmt.Errorf("service %s: status: %w", name, err)
	}
	switch st {
	case ks.StatusRunning:
		return platform.ServiceRunning, nil
	case ks.StatusStopped:
		return platform.ServiceStopped, nil
	}
	return platform.ServiceUnknown, nil
}
