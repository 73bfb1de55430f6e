package service

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
)

// runManaged runs p as the SCM's service name when the SCM started this
// process, else in the foreground. It asks the SCM itself (svc.Run)
// instead of kardianos, whose Run decides by svc.IsWindowsService (false
// under Wine, where services.exe is not in session 0) and, in the
// foreground, returns only on Ctrl-C, not when the supervisor ends.
func runManaged(name string, p *program) error {
	if name != "" {
		err := svc.Run(name, &scmHandler{name: name, p: p})
		if !errors.Is(err, windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
			if err != nil {
				return fmt.Errorf("run as service %s: %w", name, err)
			}
			return nil
		}
		// Not started by the SCM: runnerctl run --service NAME by hand.
	}
	if err := p.Start(nil); err != nil {
		return err
	}
	p.wait()
	return p.Stop(nil)
}

// scmHandler is the service's control handler.
type scmHandler struct {
	name string
	p    *program
}

// stopHint is how long the SCM is told each stop step may take; the
// handler reports progress every half of it while the listener stops
// (up to the supervisor's StopTimeout, a self-update's wait).
const stopHint = 10 * time.Second

// Execute runs the supervisor until the SCM asks for a stop (Stop,
// Shutdown: the listener gets its graceful Ctrl-C) or the supervisor
// ends by itself. Returning reports SERVICE_STOPPED: the service stops
// itself from inside, which needs no SERVICE_STOP right on its own
// service object (kardianos' Stop() does, and NETWORK SERVICE lacks it).
//
// How it ends decides whether the SCM restarts it: the service is
// installed with recovery actions (restart after 10 s) that also apply to
// a stop with a non-zero exit code (FailureActionsOnNonCrashFailures,
// finishInstall), so:
//   - stopped by the SCM, or the listener exited 0 (an ephemeral runner's
//     job is done): exit 0, not restarted;
//   - the listener stopped for good (ErrStopped: not configured, deleted,
//     version deprecated): exit 0 too, so that it is not restarted, as
//     under launchd; the status file says why it stopped, and status
//     shows it;
//   - any other failure: service-specific exit code 1, restarted.
func (h *scmHandler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	// A service has no console: the supervisor's log and the listener's
	// output go to the Application event log (installService registered
	// the source), as RunnerService.exe's do.
	if el, err := eventlog.Open(h.name); err == nil {
		defer el.Close()
		w := eventWriter{el}
		h.p.sup.Log = slog.New(slog.NewTextHandler(w, nil))
		h.p.sup.Output = w
	}
	_ = h.p.Start(nil)
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for {
		select {
		case <-h.p.done:
			return h.ended()
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				h.p.sup.Log.Info("stop requested by the service manager")
				h.p.cancel()
				return h.stopping(req, status)
			}
		}
	}
}

// stopping reports progress until the supervisor has stopped. It keeps
// answering the requests the SCM still sends (Interrogate: a StopPending
// service accepts no other): svc.Run's dispatcher holds a request until
// Execute takes it, and one left there blocks the SCM's control thread in
// this process, so that it never exits after reporting SERVICE_STOPPED.
func (h *scmHandler) stopping(req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	cur := svc.Status{State: svc.StopPending, WaitHint: uint32(stopHint / time.Millisecond)}
	tick := time.NewTicker(stopHint / 2)
	defer tick.Stop()
	for {
		cur.CheckPoint++
		status <- cur
	wait:
		for {
			select {
			case <-h.p.done:
				return false, 0
			case c := <-req:
				if c.Cmd == svc.Interrogate {
					status <- cur
				}
			case <-tick.C:
				break wait
			}
		}
	}
}

// ended is the service's exit once the supervisor ended by itself.
func (h *scmHandler) ended() (bool, uint32) {
	switch err := h.p.err; {
	case err == nil:
		return false, 0
	case errors.Is(err, ErrStopped):
		h.p.sup.Log.Error("the runner stopped for good: the service stops with exit 0 so that the service manager does not restart it", "err", err)
		return false, 0
	default:
		h.p.sup.Log.Error("the supervisor failed: the service stops with an error, and the service manager restarts it", "err", err)
		return true, 1
	}
}

// eventWriter writes each line as an event: an error or warning when the
// supervisor logged it at that level, information otherwise.
type eventWriter struct{ el *eventlog.Log }

func (w eventWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\r\n"), "\n") {
		switch {
		case line == "":
		case strings.Contains(line, "level=ERROR"):
			_ = w.el.Error(1, line)
		case strings.Contains(line, "level=WARN"):
			_ = w.el.Warning(1, line)
		default:
			_ = w.el.Info(1, line)
		}
	}
	return len(p), nil
}
