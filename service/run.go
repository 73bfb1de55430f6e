package service

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	ks "github.com/kardianos/service"
)

// program adapts the supervisor to kardianos' Interface (and to the
// Windows SCM handler, run_windows.go).
type program struct {
	sup    *Supervisor
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

func (p *program) Start(ks.Service) error {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() {
		defer close(p.done)
		p.err = p.sup.Run(ctx)
	}()
	return nil
}

func (p *program) Stop(ks.Service) error {
	p.cancel()
	<-p.done
	return nil
}

// wait blocks until SIGINT/SIGTERM or until the supervisor ends by itself.
func (p *program) wait() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case s := <-sig:
		p.sup.Log.Info("stop requested", "signal", s.String())
	case <-p.done:
	}
}

// Run runs sup as the service named name (under systemd, SysV, launchd or
// the Windows SCM) or in the foreground, until the service is stopped or
// the listener stops for good, and returns the supervisor's result.
func Run(name string, sup *Supervisor) error {
	p := &program{sup: sup, done: make(chan struct{})}
	if err := runManaged(name, p); err != nil {
		return err
	}
	if errors.Is(p.err, ErrStopped) && stoppedExitsZero() {
		// launchd cannot be told not to relaunch one exit status: with
		// KeepAlive{SuccessfulExit=false} every failure is relaunched (every
		// 10 s, its ThrottleInterval), and without KeepAlive a crash is
		// not. So under launchd "stopped for good" is a success; the
		// status file (Supervisor.Run) says why it stopped, and status
		// shows it.
		sup.Log.Error("the runner stopped for good: exiting 0 so that launchd does not relaunch it", "err", p.err)
		return nil
	}
	return p.err
}
