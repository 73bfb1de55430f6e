package service

import (
	"github.com/runnerctl/runnerctl/platform"
)

// installAgent is Install for a launchd agent (s.Launchd): the plist in
// s.User's ~/Library/LaunchAgents, rewritten when it differs; it does
// not load it (Start does).
func (m *Manager) installAgent(s platform.ServiceSpec) (bool, error) {
	if err := prepareStatusDir(s); err != nil {
		return false, wrapOp(s.Name, "install", err)
	}
	a, err := newLaunchAgent(s.Name, s.User, m.log)
	if err != nil {
		return false, err
	}
	changed, err := a.install(s)
	if err != nil {
		return false, wrapOp(s.Name, "install", err)
	}
	if changed {
		m.log.Info("service installed", "service", s.Name, "manager", "launchd agent", "user", s.User, "plist", a.plistPath())
	}
	return changed, nil
}

// replaceLaunchdKind removes, on macOS, a service of s's name installed
// as the other launchd kind (a re-install that switched --launchd): the
// LaunchDaemon of that name before an agent is installed, s.User's agent
// before a daemon is.
func (m *Manager) replaceLaunchdKind(s platform.ServiceSpec) error {
	if !launchAgentHost {
		return nil
	}
	if s.Launchd == platform.LaunchAgent {
		st, _, _, err := managerState(s.Name)
		if err != nil || st == platform.ServiceNotInstalled {
			return err
		}
		m.log.Warn("replacing the LaunchDaemon of this name with a LaunchAgent (--launchd agent)", "service", s.Name)
		// The record says agent already: the daemon is stopped directly.
		if err := controlDaemon(s.Name, "stop"); err != nil && st != platform.ServiceStopped {
			return err
		}
		return wrapOp(s.Name, "uninstall", removeDaemon(s.Name))
	}
	if s.User == "" {
		return nil
	}
	a, err := newLaunchAgent(s.Name, s.User, m.log)
	if err != nil {
		return nil // no such user: no agent of theirs either (Install says why)
	}
	st, _, _, err := a.state()
	if err != nil {
		// A home that is not the user's (a service account's /var/empty)
		// never got an agent from runnerctl: nothing to replace.
		m.log.Debug("no LaunchAgent of this name to replace", "service", s.Name, "user", s.User, "err", err)
		return nil
	}
	if st == platform.ServiceNotInstalled {
		return nil
	}
	m.log.Warn("replacing the LaunchAgent of this name with a LaunchDaemon", "service", s.Name, "user", s.User)
	return wrapOp(s.Name, "uninstall", a.uninstall())
}

// removeDefinition removes the service's definition (it is stopped): the
// agent's files, or kardianos' definition.
func (m *Manager) removeDefinition(name string) error {
	a, err := m.agentOf(name)
	if err != nil {
		return err
	}
	if a != nil {
		return a.uninstall()
	}
	return removeDaemon(name)
}

// removeDaemon removes the definition of a service that is no launchd
// agent (per OS: install_*.go).
func removeDaemon(name string) error { return deleteService(name) }
