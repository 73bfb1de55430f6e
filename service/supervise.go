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
//   - exit 1 (terminated: not configured, deleted, too old) or 5 (session
//     conflict): Run returns an ErrStopped error, which the service must
//     not restart;
//   - exit 2 (retryable): relaunch after RetryPause; after MaxRetries in a
//     row Run gives up;
//   - exit 3, 4 (self-update): wait up to UpdateWait for update.finished,
//     as run-helper.sh does, then relaunch;
//   - killed by a signal or an unknown code: relaunch with a back-off
//     doubling from MinBackoff to MaxBackoff.
//
// The counters reset when the listener says "Listening for Jobs". When ctx
// is cancelled (the service is stopped) the listener's group gets SIGINT,
// the runner's graceful stop, and is killed if it has not exited after
// StopTimeout.
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
}

// ErrStopped says the listener stopped with a terminal error: restarting
// it would not help.
var ErrStopped = errors.New("the runner listener stopped for good")

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
	if s.MaxRetries <= 0 {
		s.MaxRetries = 10
	}
	if s.Output == nil {
		s.Output = os.Stderr
	}
}

// Run supervises the listener until it stops for good or ctx is done
// (then it returns nil after a graceful stop).
func (s *Supervisor) Run(ctx context.Context) (err error) {
	s.defaults()
	st := &statusWriter{}
	if s.Service != "" {
		if st.path, err = StatusFile(s.Service); err != nil {
			return err
		}
	}
	s.report(st, func(x *SupervisorStatus) { *x = SupervisorStatus{State: SupStarting} })
	defer func() {
		msg := "the service was stopped"
		if err != nil {
			msg = err.Error()
		} else if ctx.Err() == nil {
			msg = "the runner stopped (listener exit 0)"
		}
		s.report(st, func(x *SupervisorStatus) { x.State, x.ListenerPID, x.Message = SupStopped, 0, msg })
	}()
	retries, relaunch := 0, backoff.Doubling{Min: s.MinBackoff, Max: s.MaxBackoff}
	for {
		listening := &atomic.Bool{}
		code, signaled, err := s.once(ctx, listening, st)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		last := fmt.Sprintf("exit %d", code)
		if signaled {
			last = "killed by a signal"
		}
		s.report(st, func(x *SupervisorStatus) { x.State, x.ListenerPID, x.LastExit = SupRelaunching, 0, last })
		if listening.Load() {
			retries = 0
			relaunch.Reset()
		}
		var wait time.Duration
		switch {
		case signaled:
			wait = relaunch.Next()
			s.Log.Warn("runner listener was killed by a signal: relaunching", "after", wait)
		case code == 0:
			s.Log.Info("runner listener exited 0: the runner stopped")
			return nil
		case code == 1 || code == 5:
			what := map[int]string{1: "a terminated error (not configured, removed from the server, or too old)", 5: "a session conflict (another listener runs with these credentials)"}[code]
			return fmt.Errorf("runner listener exited %d, %s: %w", code, what, ErrStopped)
		case code == 2:
			retries++
			if retries > s.MaxRetries {
				return fmt.Errorf("runner listener exited 2 (retryable) %d times in a row: giving up", retries)
			}
			wait = s.RetryPause
			s.Log.Warn("runner listener exited with a retryable error: relaunching", "code", code, "after", wait, "attempt", retries)
		case code == 3 || code == 4:
			retries++
			if retries > s.MaxRetries {
				return fmt.Errorf("runner listener exited %d (updating) %d times in a row: giving up", code, retries)
			}
			s.Log.Info("runner listener exited for a self-update: waiting for it to finish", "code", code)
			if !s.waitUpdate(ctx) {
				s.Log.Warn("update.finished did not appear: relaunching anyway", "waited", s.UpdateWait)
			}
		default:
			wait = relaunch.Next()
			s.Log.Warn("runner listener exited with an unknown code: relaunching", "code", code, "after", wait)
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

// report updates the status file; a failure is logged, not fatal.
func (s *Supervisor) report(st *statusWriter, f func(*SupervisorStatus)) {
	if err := st.update(f); err != nil {
		s.Log.Warn("could not write the supervisor status file", "file", st.path, "err", err)
	}
}

// waitUpdate waits for DIR/update.finished (written by the runner's
// update.sh once bin/ and externals/ are swapped) and removes it.
func (s *Supervisor) waitUpdate(ctx context.Context) bool {
	marker := filepath.Join(s.Dir, "update.finished")
	deadline := time.Now().Add(s.UpdateWait)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(marker); err == nil {
			_ = os.Remove(marker)
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(200 * time.Millisecond):
		}
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
	return append(env, "PATH="+path)
}

// once runs the listener one time and returns its exit code, or signaled.
func (s *Supervisor) once(ctx context.Context, listening *atomic.Bool, st *statusWriter) (code int, signaled bool, err error) {
	cmd := exec.Command(platform.ListenerPath(s.Dir), "run", "--startuptype", "service")
	cmd.Dir = s.Dir
	cmd.Env = s.listenerEnv()
	if err := prepareCommand(cmd, s.User); err != nil {
		return 0, false, fmt.Errorf("run listener: %w", err)
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		pw.Close()
		return 0, false, fmt.Errorf("run listener: %w", err)
	}
	s.Log.Info("runner listener started", "pid", cmd.Process.Pid, "dir", s.Dir)
	pid := cmd.Process.Pid
	s.report(st, func(x *SupervisorStatus) { x.State, x.ListenerPID, x.Message = SupStarting, pid, "" })
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "Listening for Jobs") && !listening.Swap(true) {
				s.report(st, func(x *SupervisorStatus) { x.State, x.Message = SupListening, "" })
			}
			fmt.Fprintln(s.Output, line)
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
	select {
	case werr = <-done:
	case <-ctx.Done():
		s.Log.Info("stopping the runner listener: SIGINT to its process group", "timeout", s.StopTimeout)
		_ = interruptGroup(cmd)
		select {
		case werr = <-done:
		case <-time.After(s.StopTimeout):
			s.Log.Warn("runner listener did not stop in time: killing its process group")
			_ = killGroup(cmd)
			werr = <-done
		}
	}
	pw.Close()
	<-copied
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		if exitedBySignal(ee) {
			return -1, true, nil
		}
		return ee.ExitCode(), false, nil
	}
	if werr != nil {
		return 0, false, fmt.Errorf("run listener: %w", werr)
	}
	return 0, false, nil
}
