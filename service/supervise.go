package service

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/runnerctl/runnerctl/platform"
	"github.com/runnerctl/runnerctl/platform/backoff"
)

// Supervisor runs the runner's listener the way the runner's own service
// wrapper (bin/RunnerService.js, RunnerService.exe) does, so that it sees
// the listener's real exit codes, which run.sh hides:
//
//   - bin/Runner.Listener run --startuptype service, cwd = the runner
//     directory, in its own process group, as the runner user, with PATH
//     from the runner's .path;
//   - exit 0: the runner stopped normally (also after an ephemeral job):
//     Run returns nil;
//   - exit 1 (terminated: not configured, deleted, too old), 5 (session
//     conflict) or 7 (runner version deprecated: it cannot update itself;
//     the listener gets ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1
//     as from the official service): Run returns an ErrStopped error,
//     which the service must not restart; for a refused version its
//     message is VersionRefused's ("runner version X refused: run
//     runnerctl update"), which status shows;
//   - exit 2 (retryable): relaunch after RetryPause; after MaxRetries in a
//     row Run gives up;
//   - exit 3, 4 (self-update): wait up to UpdateWait for update.finished,
//     as run-helper.sh does, then relaunch;
//   - killed by a signal or an unknown code: relaunch with a back-off
//     doubling from MinBackoff to MaxBackoff; after
//     GITHUB_ACTIONS_SERVICE_EXIT_AFTER_N_FAILURES of them in a row, an
//     ErrStopped error (as RunnerService.js stops).
//
// The counters reset when the listener says "Listening for Jobs". When ctx
// is cancelled (the service is stopped) the listener's pid (not its group:
// see interruptListener) gets SIGINT, the runner's graceful stop; its
// group is killed if it has not exited after StopTimeout; a self-update
// it started is waited for (see Run).
type Supervisor struct {
	Dir string
	// User runs the listener when the supervisor runs as root; "" or the
	// current user runs it as ourselves.
	User string
	Log  *slog.Logger
	// Output receives the listener's output (stderr: journald, launchd, SysV log).
	Output io.Writer
	// Service, when set, names the service this supervisor runs as: its
	// SupervisorStatus goes to StatusFile(Service) at every change.
	Service string

	RetryPause  time.Duration // default 5 s
	MaxRetries  int           // default 10
	UpdateWait  time.Duration // default 30 s
	MinBackoff  time.Duration // default 1 s
	MaxBackoff  time.Duration // default 60 s
	StopTimeout time.Duration // default 30 s
	// GroupGrace is how long what the listener left in its process group
	// has after SIGTERM before SIGKILL (default 5 s).
	GroupGrace time.Duration
	// EphemeralDone: an ephemeral runner whose service re-registers it or
	// powers the host off (--on-ephemeral-exit reregister|shutdown): a
	// listener exit 0 that no stop asked for (its one job done, or its
	// registration deleted) returns ErrEphemeralDone, for the service's
	// root step to take over (ExitEphemeralDone). A self-update exit (3,
	// 4) is relaunched as ever: it is not the end of the job.
	EphemeralDone bool
	// ExitAfterFailures stops for good after that many unknown exits in a
	// row; 0 reads GITHUB_ACTIONS_SERVICE_EXIT_AFTER_N_FAILURES.
	ExitAfterFailures int
	// MetricsAddr, when set, is a loopback host:port where the supervisor
	// serves Prometheus metrics (/metrics) and /healthz (metrics.go).
	MetricsAddr string
}

// ErrStopped says the listener stopped with a terminal error: restarting
// it would not help.
var ErrStopped = errors.New("the runner listener stopped for good")

// ErrEphemeralDone says an ephemeral runner's listener exited 0 on its
// own: the job is done (Supervisor.EphemeralDone).
var ErrEphemeralDone = errors.New("the ephemeral runner's listener exited 0 after its job: over to the service's root step")

func (s *Supervisor) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&s.RetryPause, 5*time.Second)
	def(&s.UpdateWait, 30*time.Second)
	def(&s.MinBackoff, time.Second)
	def(&s.MaxBackoff, time.Minute)
	def(&s.StopTimeout, 30*time.Second)
	def(&s.GroupGrace, 5*time.Second)
	if s.MaxRetries <= 0 {
		s.MaxRetries = 10
	}
	if s.Output == nil {
		s.Output = os.Stderr
	}
}

// Run supervises the listener until it stops for good or ctx is done
// (then it returns nil after a graceful stop).
//
// A stop (ctx done) never cuts a self-update short: when the listener
// exited for an update (3, 4, or a _work/_update.sh written since it
// started), Run waits for update.finished up to UpdateWait before it
// returns, and so before the service manager may kill what is left
// (systemd's KillMode=mixed SIGKILLs the unit's cgroup once runnerctl run
// exits). Then it ends what the listener left in its process group (a
// job's background processes): SIGTERM, SIGKILL after GroupGrace.
func (s *Supervisor) Run(ctx context.Context) (err error) {
	s.defaults()
	st := &statusWriter{}
	if s.Service != "" {
		if st.path, err = StatusFile(s.Service); err != nil {
			return err
		}
	}
	s.report(st, func(x *SupervisorStatus) { *x = SupervisorStatus{State: SupStarting, Started: time.Now().UTC()} })
	if s.MetricsAddr != "" {
		// The runner matters more than its metrics: a busy port is
		// logged and shown in status, and the listener runs anyway.
		stop, err := serveMetrics(s.MetricsAddr, st, s.Log)
		if err != nil {
			s.Log.Error("no metrics endpoint", "err", err)
			s.report(st, func(x *SupervisorStatus) { x.LastError = err.Error() })
		} else {
			defer stop()
		}
	}
	var last *listenerRun
	defer func() {
		if last != nil {
			cleanupGroup(last.pid, s.GroupGrace)
		}
		msg, lastErr := "the service was stopped", ""
		if err != nil {
			msg, lastErr = err.Error(), err.Error()
		} else if ctx.Err() == nil {
			msg = "the runner stopped (listener exit 0)"
		}
		s.report(st, func(x *SupervisorStatus) {
			x.State, x.ListenerPID, x.Message = SupStopped, 0, msg
			if lastErr != "" {
				x.LastError = lastErr
			}
		})
	}()
	exitAfter := s.exitAfterFailures()
	retries, unknown, relaunch := 0, 0, backoff.Doubling{Min: s.MinBackoff, Max: s.MaxBackoff}
	for {
		listening := &atomic.Bool{}
		run, err := s.once(ctx, listening, st)
		if err != nil {
			return err
		}
		last = &run
		code, signaled := run.code, run.signaled
		exit := describeExit(code) // code is -1 when signaled
		if ctx.Err() != nil {
			// How the listener took the stop: exit 0 is its graceful stop.
			if run.killed {
				exit = "killed after the stop timeout"
			}
			s.report(st, func(x *SupervisorStatus) { x.LastExit, x.LastExitCode = exit, &code })
			if s.updating(run) {
				s.Log.Info("stop requested during a self-update: waiting for it to finish first", "timeout", s.UpdateWait)
				if !s.waitUpdate() {
					s.Log.Warn("update.finished did not appear before the stop", "waited", s.UpdateWait)
				}
			}
			return nil
		}
		s.report(st, func(x *SupervisorStatus) {
			x.State, x.ListenerPID, x.LastExit, x.LastExitCode = SupRelaunching, 0, exit, &code
		})
		if listening.Load() {
			retries, unknown = 0, 0
			relaunch.Reset()
		}
		var wait time.Duration
		switch {
		case !signaled && code == 0:
			s.Log.Info("runner listener exited 0: the runner stopped")
			if s.EphemeralDone {
				return ErrEphemeralDone
			}
			return nil
		case !signaled && (code == 7 || (code == 1 && run.refused)):
			// The server refused the listener's version (it says "Runner
			// version vX is deprecated and cannot receive messages"): a
			// relaunch would be refused again, a new package is needed.
			return fmt.Errorf("runner listener exited %d: %s: %w", code, VersionRefused(run.version), ErrStopped)
		case !signaled && (code == 1 || code == 5):
			return fmt.Errorf("runner listener exited %d (%s): %w", code, ExitMeaning(code), ErrStopped)
		case !signaled && code == 2:
			retries, unknown = retries+1, 0
			if retries > s.MaxRetries {
				return fmt.Errorf("runner listener exited 2 (retryable) %d times in a row: giving up", retries)
			}
			wait = s.RetryPause
			s.Log.Warn("runner listener exited with a retryable error: relaunching", "code", code, "after", wait, "attempt", retries)
		case !signaled && (code == 3 || code == 4):
			retries, unknown = retries+1, 0
			if retries > s.MaxRetries {
				return fmt.Errorf("runner listener exited %d (updating) %d times in a row: giving up", code, retries)
			}
			s.Log.Info("runner listener exited for a self-update: waiting for it to finish", "code", code)
			if !s.waitUpdate() {
				s.Log.Warn("update.finished did not appear: relaunching anyway", "waited", s.UpdateWait)
			}
			if ctx.Err() != nil {
				return nil // stopped during the update, which is done now
			}
		default:
			// RunnerService.js: an unknown code (or a signal) relaunches
			// without limit unless GITHUB_ACTIONS_SERVICE_EXIT_AFTER_N_FAILURES.
			unknown++
			if exitAfter > 0 && unknown >= exitAfter {
				return fmt.Errorf("runner listener ended with an unknown code (%s) %d times in a row (GITHUB_ACTIONS_SERVICE_EXIT_AFTER_N_FAILURES=%d): %w",
					exit, unknown, exitAfter, ErrStopped)
			}
			wait = relaunch.Next()
			s.Log.Warn("runner listener exited with an unknown code or a signal: relaunching", "exit", exit, "after", wait, "failures", unknown)
		}
		s.report(st, func(x *SupervisorStatus) {
			x.Restarts++
			x.Message = fmt.Sprintf("relaunching the listener after %s", wait)
		})
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// ExitAfterFailuresVar is the official service wrapper's setting
// (RunnerService.js): stop for good after that many listener exits in a
// row with an unknown code.
const ExitAfterFailuresVar = "GITHUB_ACTIONS_SERVICE_EXIT_AFTER_N_FAILURES"

// exitAfterFailures is ExitAfterFailures, else the variable from the
// supervisor's environment (the service's, as RunnerService.js reads it),
// else from the runner's .env (where users set the runner's variables;
// the installed supervisor runs as the runner user and reads it without
// following a link; a root supervisor of another user's runner does not
// read it: root decides nothing on the runner user's files). 0 (unset,
// not a positive number): no limit.
func (s *Supervisor) exitAfterFailures() int {
	if s.ExitAfterFailures > 0 {
		return s.ExitAfterFailures
	}
	v, ok := os.LookupEnv(ExitAfterFailuresVar)
	if !ok && !(platform.Privileged() && s.User != "" && s.User != "root") {
		if b, found, err := platform.ReadInDir(s.Dir, ".env", 64<<10); err == nil && found {
			for _, l := range strings.Split(string(b), "\n") {
				if k, x, ok := strings.Cut(strings.TrimRight(l, "\r"), "="); ok && k == ExitAfterFailuresVar {
					v = x
				}
			}
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// updating reports whether the listener exited for a self-update: exit 3
// or 4, or (stopped by us just as it started one) a _work/_update.sh
// written since it started.
func (s *Supervisor) updating(run listenerRun) bool {
	if !run.signaled && (run.code == 3 || run.code == 4) {
		return true
	}
	if platform.Privileged() && s.User != "" && s.User != "root" {
		return false // root decides nothing on the runner user's files
	}
	fi, err := os.Lstat(filepath.Join(s.Dir, "_work", "_update.sh"))
	return err == nil && fi.Mode().IsRegular() && !fi.ModTime().Before(run.started.Add(-time.Second))
}

// report updates the status file; a failure is logged, not fatal.
func (s *Supervisor) report(st *statusWriter, f func(*SupervisorStatus)) {
	if err := st.update(f); err != nil {
		s.Log.Warn("could not write the supervisor status file", "file", st.path, "err", err)
	}
}

// waitUpdate waits for DIR/update.finished (written by the runner's
// update.sh once bin/ and externals/ are swapped) and removes it. It does
// not end on a stop: the update is not to be cut short.
func (s *Supervisor) waitUpdate() bool {
	marker := filepath.Join(s.Dir, "update.finished")
	deadline := time.Now().Add(s.UpdateWait)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(marker); err == nil {
			_ = os.Remove(marker)
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// listenerEnv is the listener's environment: ours, with PATH from .path
// (what runsvc.sh does) and nothing of runnerctl's own.
func (s *Supervisor) listenerEnv() []string {
	env := platform.ChildEnv("PATH")
	path := os.Getenv("PATH")
	// The runner user's file: read without following a link (a root
	// supervisor of an --allow-root runner, or one started by hand, must
	// not copy a root-only file into the listener's environment).
	if b, _, err := platform.ReadInDir(s.Dir, ".path", 64<<10); err == nil && strings.TrimSpace(string(b)) != "" {
		path = strings.TrimSpace(string(b))
	}
	// As the official service does: a refused version exits 7, not 1
	// (Program.cs), so it tells from "not configured".
	return append(env, "PATH="+path, VersionDeprecatedExitVar+"=1")
}

// VersionDeprecatedExitVar asks the listener to exit 7 when the server
// refuses its version (else it exits 1, as for a missing configuration).
const VersionDeprecatedExitVar = "ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE"

// VersionRefused is what the supervisor (and so `status`) says of a
// listener whose version the server refused.
func VersionRefused(version string) string {
	if version == "" {
		version = "(unknown)"
	}
	return "runner version " + version + " refused: run runnerctl update"
}

// listenerRun is how one run of the listener ended.
type listenerRun struct {
	code     int
	signaled bool
	killed   bool      // killed by the supervisor after StopTimeout
	version  string    // what the listener said it runs ("" if it did not)
	refused  bool      // it said the server refused its version
	pid      int       // the listener's pid, the id of its process group (Unix)
	started  time.Time // when it was started
}

// once runs the listener one time and returns how it ended; on a stop
// (ctx done) it returns once the listener has exited.
func (s *Supervisor) once(ctx context.Context, listening *atomic.Bool, st *statusWriter) (listenerRun, error) {
	cmd := exec.Command(platform.ListenerPath(s.Dir), "run", "--startuptype", "service")
	cmd.Dir = s.Dir
	cmd.Env = s.listenerEnv()
	if err := prepareCommand(cmd, s.User); err != nil {
		return listenerRun{}, fmt.Errorf("run listener: %w", err)
	}
	// Our own pipe, not an io.Writer handed to exec: Wait must return when
	// the listener exits, not when every process that inherited its output
	// (the real listener's _update.sh, a job's background process) has
	// closed it.
	pr, pw, err := os.Pipe()
	if err != nil {
		return listenerRun{}, fmt.Errorf("run listener: %w", err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	started := time.Now()
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		return listenerRun{}, fmt.Errorf("run listener: %w", err)
	}
	s.Log.Info("runner listener started", "pid", cmd.Process.Pid, "dir", s.Dir)
	pid := cmd.Process.Pid
	s.report(st, func(x *SupervisorStatus) {
		x.State, x.ListenerPID, x.ListenerStarted, x.Message = SupStarting, pid, started.UTC(), ""
	})
	copied := make(chan struct{})
	var version atomic.Pointer[string]
	var refused atomic.Bool
	go func() {
		defer close(copied)
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "Listening for Jobs") && !listening.Swap(true) {
				s.report(st, func(x *SupervisorStatus) { x.State, x.Message = SupListening, "" })
			}
			if v, ok := runnerVersion(line); ok {
				version.Store(&v)
				s.report(st, func(x *SupervisorStatus) { x.RunnerVersion = v })
			}
			if strings.Contains(line, "is deprecated and cannot receive messages") {
				refused.Store(true)
			}
			if ev := parseListenerLine(line); ev.kind != lineOther {
				s.report(st, ev.apply)
			}
			fmt.Fprintln(s.Output, line)
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
	killed := false
	select {
	case werr = <-done:
	case <-ctx.Done():
		s.Log.Info("stopping the runner listener: SIGINT to its pid", "pid", pid, "timeout", s.StopTimeout)
		_ = interruptListener(cmd)
		select {
		case werr = <-done:
		case <-time.After(s.StopTimeout):
			s.Log.Warn("runner listener did not stop in time: killing its process group")
			_ = killGroup(cmd)
			killed = true
			werr = <-done
		}
	}
	// The listener's last lines, unless a process it left holds the pipe
	// (the copy then goes on in the background).
	select {
	case <-copied:
	case <-time.After(time.Second):
	}
	// A job the listener did not say it finished is over with it.
	s.report(st, func(x *SupervisorStatus) { x.CurrentJob = "" })
	run := listenerRun{pid: pid, started: started, killed: killed, refused: refused.Load()}
	if v := version.Load(); v != nil {
		run.version = *v
	}
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		if exitedBySignal(ee) {
			run.code, run.signaled = -1, true
			return run, nil
		}
		run.code = ee.ExitCode()
		return run, nil
	}
	if werr != nil {
		return run, fmt.Errorf("run listener: %w", werr)
	}
	return run, nil
}

// runnerVersion reads the version out of the listener's "Current runner
// version: '2.336.9'" line.
func runnerVersion(line string) (string, bool) {
	_, rest, ok := strings.Cut(line, "Current runner version: '")
	if !ok {
		return "", false
	}
	v, _, ok := strings.Cut(rest, "'")
	return v, ok && v != ""
}

// Kinds of listener output lines the supervisor counts.
const (
	lineOther    = iota
	lineJobStart // "2026-11-25 10:00:00Z: Running job: build"
	lineJobDone  // "2026-11-25 10:00:09Z: Job build completed with result: Succeeded"
	lineError    // "An error occurred: ..."
)

// listenerLine is what one line of the listener's output says.
type listenerLine struct {
	kind int
	text string // the job's name, or the error
}

// parseListenerLine reads the lines of the runner's JobDispatcher
// ("Running job: NAME", "Job NAME completed with result: RESULT") and its
// error lines ("An error occurred: ...", Terminal.WriteError's).
func parseListenerLine(line string) listenerLine {
	if _, name, ok := strings.Cut(line, ": Running job: "); ok {
		return listenerLine{lineJobStart, name}
	}
	if i := strings.LastIndex(line, " completed with result: "); i >= 0 {
		if j := strings.Index(line[:i], ": Job "); j >= 0 {
			return listenerLine{lineJobDone, line[j+len(": Job ") : i]}
		}
	}
	if _, msg, ok := strings.Cut(line, "An error occurred: "); ok {
		return listenerLine{lineError, msg}
	}
	return listenerLine{kind: lineOther}
}

// apply records the line in the status.
func (l listenerLine) apply(x *SupervisorStatus) {
	switch l.kind {
	case lineJobStart:
		x.CurrentJob = l.text
	case lineJobDone:
		x.JobsRun++
		x.CurrentJob = ""
	case lineError:
		x.LastError = l.text
	}
}
