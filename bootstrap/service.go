package bootstrap

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/runner"
	"github.com/runnerctl/runnerctl/platform"
)

// ServiceManager is what the pipeline needs from the host's service
// manager; main hands it the service package's. Install installs a
// service or rewrites one whose definition differs, reporting whether it
// changed anything; Start and Stop are idempotent; Uninstall stops the
// service first and accepts a service that is not there.
type ServiceManager interface {
	Names(scope, runnerName string) (name, display string)
	Platform() string
	// Check says why spec cannot be installed (a value the definition
	// cannot carry), before anything is registered.
	Check(platform.ServiceSpec) error
	Install(platform.ServiceSpec) (changed bool, err error)
	Start(name string) error
	Restart(name string) error
	Stop(name string) error
	Uninstall(name string) error
	Status(name string) (platform.ServiceStatus, error)
	// Logs returns the service's last n log lines since a time (journal,
	// SysV log).
	Logs(name string, since time.Time, n int) []string
}

// serviceSpec is the service runnerctl installs for a runner. The
// supervisor reads the trusted store only when it runs as root (an
// --allow-root runner): --state-dir names the one install wrote. An
// ephemeral runner that re-registers or powers the host off gets its
// root step (ephemeralSteps).
func serviceSpec(name, display, runnerName, url, dir, user, exe string, st Store, launchd platform.LaunchdKind, onExit platform.EphemeralExit, metrics string) platform.ServiceSpec {
	s := platform.ServiceSpec{Name: name, DisplayName: display,
		Description: "GitHub Actions self-hosted runner " + runnerName + " for " + url + ", supervised by runnerctl",
		Executable:  exe, Args: []string{"run", "--dir", dir, "--service", name, "--state-dir", st.Dir}, User: user, Dir: dir, Launchd: launchd}
	ephemeralSteps(&s, onExit, st)
	if metrics != "" {
		s.Args = append(s.Args, "--metrics-addr", metrics)
	}
	return s
}

// metricsAddr is the --metrics-addr a runner's service gets: the flag
// ("off": none); without it, what the runner's record says. It must be
// a loopback address, and needs a service.
func metricsAddr(flag string, noService bool, rec *Record) (string, error) {
	switch {
	case flag == "off":
		return "", nil
	case flag == "" && rec != nil && rec.Runner != nil && !noService:
		return rec.Runner.MetricsAddr, nil
	case flag == "":
		return "", nil
	case noService:
		return "", failure.Wrap(failure.Usage, errors.New("install: --metrics-addr: --no-service installs no service: give it to `runnerctl run`"))
	}
	if err := platform.CheckMetricsAddr(flag); err != nil {
		return "", failure.Wrap(failure.Usage, fmt.Errorf("install: %w", err))
	}
	return flag, nil
}

// launchdKind is the launchd kind a runner's service gets: --launchd;
// without it, what the runner's record says (the first install's); a
// LaunchDaemon is "" (as in the records made before the choice). Another
// value is kept for the service manager's Check to refuse.
func launchdKind(flag platform.LaunchdKind, rec *Record) platform.LaunchdKind {
	switch {
	case flag == "" && rec != nil && rec.Runner != nil:
		return rec.Runner.Launchd
	case flag == platform.LaunchDaemon:
		return ""
	}
	return flag
}

// ensureService installs the service or repairs its definition, and
// starts it unless it runs as defined. It reports whether it changed
// anything.
func ensureService(svc ServiceManager, spec platform.ServiceSpec, rb *rollback) (bool, error) {
	st, err := svc.Status(spec.Name)
	if err != nil {
		return false, failure.Wrap(failure.Service, err)
	}
	changed, err := svc.Install(spec)
	if err != nil {
		return false, failure.Wrap(failure.Service, err)
	}
	if st.State == platform.ServiceNotInstalled && rb != nil {
		rb.push("remove the service "+spec.Name, func() error {
			_ = os.Remove(filepath.Join(spec.Dir, runner.ServiceMarker))
			return svc.Uninstall(spec.Name)
		})
	}
	if !changed && st.State == platform.ServiceRunning {
		return false, nil
	}
	// Not running: stopped, or restarting/failed (a runnerctl that was not
	// there, a listener that gave up): start it now.
	if err := svc.Start(spec.Name); err != nil {
		return false, failure.Wrap(failure.Service, err)
	}
	return true, nil
}

// writeServiceMarker writes .service with the service name as the
// runner's own service setup does (platform.ServiceMarker: config.sh
// remove refuses to run while it exists; config.cmd remove stops and
// deletes the service it names): the runner user's file, written without
// following links, hidden on Windows.
func writeServiceMarker(dir, name, user string, log *slog.Logger) error {
	if err := writeRunnerFile(dir, runner.ServiceMarker, user, platform.ServiceMarker(name), 0o644, log); err != nil {
		return fmt.Errorf("install: write %s: %w", runner.ServiceMarker, err)
	}
	if err := platform.HideFile(filepath.Join(dir, runner.ServiceMarker)); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	return nil
}

// refreshServices brings the services of the other installed runners
// onto the runnerctl at exe: each definition is rewritten where it
// differs, and a service that was meant to run (running, restarting,
// failed: not stopped by hand) is restarted when its definition changed
// or the binary it runs was replaced; a stopped one stays stopped.
// Restarting cancels a job the runner was running (the listener is
// stopped as a service stop does). It reports whether every service was
// moved: a service left as it was still runs the old path.
func refreshServices(svc ServiceManager, st Store, exceptDir, exe string, replaced bool, log *slog.Logger) (allMoved bool) {
	recs, err := st.Records()
	if err != nil {
		log.Warn("could not read the trusted store to update the other runners' services", "err", err)
		return false
	}
	allMoved = true
	for _, r := range recs {
		if r.Dir == exceptDir || r.Runner == nil || r.Runner.Service == "" {
			continue
		}
		if !refreshService(svc, st, r, exe, replaced, log) {
			allMoved = false
		}
	}
	return allMoved
}

func refreshService(svc ServiceManager, st Store, rec Record, exe string, replaced bool, log *slog.Logger) bool {
	e := rec.Runner
	t, err := github.ParseTarget(e.URL, "")
	if err != nil {
		log.Warn("trusted record with a bad URL: its service is left as it is", "dir", rec.Dir, "err", err)
		return false
	}
	name, display := svc.Names(t.ScopeName(), e.Name)
	if name != e.Service {
		log.Warn("trusted record names another service than runnerctl would: left as it is", "dir", rec.Dir, "service", e.Service)
		return false
	}
	ss, err := svc.Status(name)
	if err != nil {
		log.Error("could not read the service of another runner: left as it is", "service", name, "err", err)
		return false
	}
	if ss.State == platform.ServiceNotInstalled {
		return true
	}
	changed, err := svc.Install(serviceSpec(name, display, e.Name, e.URL, rec.Dir, rec.User, exe, st, e.Launchd, e.OnEphemeralExit, e.MetricsAddr))
	if err != nil {
		log.Error("could not update the service of another runner", "service", name, "err", err)
		return false
	}
	if ss.State == platform.ServiceStopped || (!changed && !replaced) {
		return true
	}
	if err := svc.Restart(name); err != nil {
		log.Error("could not restart the service of another runner", "service", name, "err", err)
		return true // its definition is moved; it starts on the new path
	}
	log.Info("service restarted on the new runnerctl", "service", name, "path", exe)
	return true
}
