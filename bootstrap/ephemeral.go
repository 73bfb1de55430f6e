package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/runner"
	"github.com/runnerctl/runnerctl/platform"
	"github.com/runnerctl/runnerctl/platform/backoff"
)

// Ephemeral runners (--ephemeral --on-ephemeral-exit MODE). After its one
// job the listener deletes its local config and exits 0. What follows
// needs root for reregister (a registration token, an API credential)
// and shutdown (power off), and the supervisor runs as the runner user,
// the user every job runs as: it must never hold either. So the
// supervisor only exits service.ExitEphemeralDone, and the service
// manager runs runnerctl's root step around it (ServiceSpec.PreStart,
// AfterExit): `runnerctl reregister` before every start (systemd
// ExecStartPre=+, the SysV script's root loop), which registers the
// runner again from a fresh extraction when its registration is gone,
// exactly as install does; `runnerctl ephemeral-exit` after the
// supervisor exited (ExecStopPost=+), which runs the shutdown command
// when the exit status says the job is done. Both decide from the
// trusted store only.

// ephemeralDoneStatus is service.ExitEphemeralDone (bootstrap does not
// import service): the exit status that ends an ephemeral runner's job.
const ephemeralDoneStatus = 10

// checkEphemeral checks --on-ephemeral-exit and --shutdown-command, and
// fills their defaults: stop for an ephemeral runner, the OS's power-off
// command for shutdown.
func checkEphemeral(o *InstallOptions) error {
	usage := func(format string, a ...any) error { return failure.Wrap(failure.Usage, fmt.Errorf(format, a...)) }
	switch o.OnEphemeralExit {
	case "":
		if o.Runner.Ephemeral {
			o.OnEphemeralExit = platform.EphemeralStop
		}
	case platform.EphemeralStop, platform.EphemeralReregister, platform.EphemeralShutdown:
		if !o.Runner.Ephemeral {
			return usage("--on-ephemeral-exit %s: only an --ephemeral runner has a last job", o.OnEphemeralExit)
		}
	default:
		return usage("--on-ephemeral-exit %q: want stop, reregister or shutdown", o.OnEphemeralExit)
	}
	root := o.OnEphemeralExit == platform.EphemeralReregister || o.OnEphemeralExit == platform.EphemeralShutdown
	if root && o.NoService {
		return usage("--on-ephemeral-exit %s: the OS service runs it (a root step around the runner's own): not with --no-service", o.OnEphemeralExit)
	}
	if root && !platform.Privileged() {
		return usage("--on-ephemeral-exit %s: run install as root (the service's root step re-registers or powers off)", o.OnEphemeralExit)
	}
	if o.OnEphemeralExit != platform.EphemeralShutdown {
		if o.ShutdownCommand != "" {
			return usage("--shutdown-command goes with --on-ephemeral-exit shutdown")
		}
		return nil
	}
	if o.ShutdownCommand == "" {
		o.ShutdownCommand = platform.DefaultShutdownCommand
	}
	return runner.CheckText("--shutdown-command", o.ShutdownCommand)
}

// setRegistration records in r what a re-registration needs of o.
func setRegistration(r *RunnerRecord, o InstallOptions) {
	r.Settings = settingsOf(o.Runner)
	r.OnEphemeralExit, r.ShutdownCommand = o.OnEphemeralExit, o.ShutdownCommand
}

// ephemeralSteps gives an ephemeral runner's service its root step: the
// supervisor exits ephemeralDoneStatus after the job (run
// --on-ephemeral-exit), then reregister runs before the next start, or
// ephemeral-exit after the exit.
func ephemeralSteps(s *platform.ServiceSpec, onExit platform.EphemeralExit, st Store) {
	step := []string{"--dir", s.Dir, "--service", s.Name, "--state-dir", st.Dir}
	switch onExit {
	case platform.EphemeralReregister:
		s.PreStart = append([]string{"reregister"}, step...)
	case platform.EphemeralShutdown:
		s.AfterExit = append([]string{"ephemeral-exit"}, step...)
	default:
		return
	}
	s.Args = append(s.Args, "--on-ephemeral-exit", string(onExit))
}

// stepRecord is the trusted record of the runner whose service runs a
// root step: dir must be a runner with that service.
func stepRecord(st Store, dir, service, step string) (string, *Record, error) {
	dir, rec, err := dirRecord(st, dir)
	if err != nil {
		return "", nil, err
	}
	if rec == nil || rec.Runner == nil {
		return "", nil, fmt.Errorf("%s: %w", step, st.notInstalled(dir))
	}
	if rec.Runner.Service == "" || service != rec.Runner.Service {
		return "", nil, failure.Wrap(failure.Usage, fmt.Errorf("%s: --service %q: the runner in %s was installed with service %q", step, service, dir, rec.Runner.Service))
	}
	return dir, rec, nil
}

// RunReregister is the root step before every start of an ephemeral
// runner's service (--on-ephemeral-exit reregister): when the runner's
// registration is gone (its job is done) it registers it again as
// install does, from a fresh extraction, with the credentials install
// takes (the config file's access-token-file or App key: the service's
// command line holds none) and the settings of the trusted record; env
// is --env. A failure is tried again with back-off (5 s doubling to 5
// min), for as long as the service is starting: a stop ends it.
func RunReregister(ctx context.Context, e Env, dir, service string, env []string) error {
	st := e.store()
	dir, rec, err := stepRecord(st, dir, service, "reregister")
	if err != nil {
		return err
	}
	saved := *rec.Runner
	wait := backoff.Doubling{Min: 5 * time.Second, Max: 5 * time.Minute}
	for {
		res, err := reregister(ctx, e, st, dir, saved, env)
		if err == nil {
			if res.Unchanged {
				e.Log.Info("registration in place: starting the runner", "name", res.Name, "id", res.ID)
			} else {
				e.Log.Info("registered the ephemeral runner again", "name", res.Name, "id", res.ID)
			}
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		after := wait.Next()
		e.Log.Error("could not register the runner again: trying again", "name", saved.Name, "after", after, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("reregister: stopped while waiting to try again: %w", err)
		case <-time.After(after):
		}
	}
}

// reregister is one attempt of RunReregister. saved is the runner's
// record as the step found it: a failed attempt's rollback leaves the
// record without it, and the next attempt puts it back.
func reregister(ctx context.Context, e Env, st Store, dir string, saved RunnerRecord, env []string) (InstallResult, error) {
	rec, err := st.Get(dir)
	if err != nil {
		return InstallResult{}, err
	}
	if rec == nil {
		return InstallResult{}, fmt.Errorf("reregister: %w", st.notInstalled(dir))
	}
	if rec.Runner == nil {
		r := saved
		rec.Runner = &r
		if err := st.Put(*rec); err != nil {
			return InstallResult{}, err
		}
	}
	r := rec.Runner
	if r.Draining {
		return InstallResult{}, errors.New("reregister: the runner is being drained (runnerctl drain): not registering it again")
	}
	if rec.Runner.ID == saved.ID && configured(dir) {
		// The listener deletes .runner when its job is done or its
		// registration is gone: while it is there, the start goes on
		// without a request (and without a credential: install's own
		// start of the service needs none).
		return InstallResult{Name: r.Name, ID: r.ID, Unchanged: true}, nil
	}
	c, err := e.lifecycleAPI("", dir)
	if err != nil {
		return InstallResult{}, err
	}
	if c == nil {
		return InstallResult{}, failure.Wrap(failure.Auth, errors.New("reregister: no API credential: put access-token-file (or app-id and app-private-key-file) in the config file"))
	}
	d, err := e.deps(c)
	if err != nil {
		return InstallResult{}, err
	}
	cfg := runner.Config{Name: r.Name, Labels: r.Labels, Ephemeral: r.Ephemeral}
	if s := r.Settings; s != nil {
		cfg.NoDefaultLabels, cfg.Group, cfg.Work, cfg.DisableUpdate = s.NoDefaultLabels, s.Group, s.Work, s.DisableUpdate
	}
	o := InstallOptions{Target: c.Target(), Dir: dir, User: rec.User, AllowRoot: rec.AllowRoot,
		Runner: cfg,
		Env:    env, Proxy: e.Conn.Proxy, CAFile: r.CAFile, Launchd: r.Launchd, OnEphemeralExit: r.OnEphemeralExit, ShutdownCommand: r.ShutdownCommand, MetricsAddr: r.MetricsAddr,
		Reregister: true, Version: e.Version}
	return Install(ctx, d, o)
}

// RunEphemeralExit is the root step after an ephemeral runner's
// supervisor exited (--on-ephemeral-exit shutdown): status is its exit
// status (--exit-status, else systemd's $EXIT_STATUS). Only
// ephemeralDoneStatus, the end of the job, runs the shutdown command of
// the trusted record (a stop, a crash, or a drained runner run nothing).
func RunEphemeralExit(ctx context.Context, e Env, dir, service, status string) error {
	dir, rec, err := stepRecord(e.store(), dir, service, "ephemeral-exit")
	if err != nil {
		return err
	}
	if status == "" {
		status = os.Getenv("EXIT_STATUS")
	}
	r := rec.Runner
	if n, err := strconv.Atoi(status); err != nil || n != ephemeralDoneStatus {
		e.Log.Info("the runner's service ended without finishing an ephemeral job: nothing to do", "dir", dir, "exit_status", status)
		return nil
	}
	switch {
	case r.OnEphemeralExit != platform.EphemeralShutdown || r.ShutdownCommand == "":
		e.Log.Info("the ephemeral runner's job is done; its record asks for no shutdown", "dir", dir, "on_ephemeral_exit", r.OnEphemeralExit)
		return nil
	case r.Draining:
		e.Log.Info("the ephemeral runner was drained: no shutdown", "dir", dir)
		return nil
	case !platform.Privileged():
		return failure.Wrap(failure.Usage, errors.New("ephemeral-exit: the shutdown step runs as root (the service manager's root step)"))
	}
	e.Log.Info("the ephemeral runner's job is done: running the shutdown command", "dir", dir, "command", r.ShutdownCommand)
	cmd := platform.ShellCommand(r.ShutdownCommand)
	cmd.Env = platform.ChildEnv()
	out, err := cmd.CombinedOutput()
	if len(out) > 0 {
		e.Log.Info("shutdown command output", "output", string(out))
	}
	if err != nil {
		return fmt.Errorf("ephemeral-exit: shutdown command %q: %w", r.ShutdownCommand, err)
	}
	return nil
}
