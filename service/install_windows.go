package service

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unsafe"

	ks "github.com/kardianos/service"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/runnerctl/runnerctl/platform"
)

// installService creates the SCM service for s with the settings of
// Windows(s), through the SCM API itself rather than kardianos' Install:
// the settings a service manager may lack (delayed automatic start, and
// recovery actions on a failed exit as well as on a crash: Wine has
// neither) are set one by one, and one it refuses as unknown is a
// warning, not an install that fails and leaves nothing. The command line
// is the one sameDefinition compares (mgr quotes Args as windowsArg).
func installService(_ ks.Service, s platform.ServiceSpec, log *slog.Logger) (err error) {
	w, err := Windows(s)
	if err != nil {
		return err
	}
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("service %s: %w", s.Name, err)
	}
	defer m.Disconnect()
	sv, err := m.CreateService(w.Name, w.BinaryPath, mgr.Config{
		DisplayName: w.DisplayName, Description: w.Description, StartType: mgr.StartAutomatic,
		ServiceStartName: w.Account, ServiceType: windows.SERVICE_WIN32_OWN_PROCESS,
	}, w.Args...)
	if err != nil {
		return fmt.Errorf("service %s: create: %w", s.Name, err)
	}
	defer func() {
		if err != nil {
			_ = sv.Delete()
		}
		sv.Close()
	}()
	delay, err := time.ParseDuration(w.RestartDelay)
	if err != nil {
		return fmt.Errorf("service %s: restart delay: %w", s.Name, err)
	}
	if err := sv.SetRecoveryActions([]mgr.RecoveryAction{{Type: mgr.ServiceRestart, Delay: delay}}, uint32(w.ResetPeriodSec)); err != nil {
		return fmt.Errorf("service %s: recovery actions: %w", s.Name, err)
	}
	if w.DelayedAutoStart {
		info := windows.SERVICE_DELAYED_AUTO_START_INFO{IsDelayedAutoStartUp: 1}
		if err := windows.ChangeServiceConfig2(sv.Handle, windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO, (*byte)(unsafe.Pointer(&info))); err != nil {
			if !unsupported(err) {
				return fmt.Errorf("service %s: delayed automatic start: %w", s.Name, err)
			}
			log.Warn("this service manager cannot delay the automatic start: the service starts with the others at boot", "service", s.Name, "err", err)
		}
	}
	// The supervisor logs to the Application event log under the
	// service's name (scmHandler), as RunnerService.exe does.
	if err := eventlog.InstallAsEventCreate(s.Name, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil && !strings.Contains(err.Error(), "exists") {
		log.Warn("could not register the service's event log source: its supervisor's log is lost", "service", s.Name, "err", err)
	}
	// Recovery on a failed exit, not only a crash: see scmHandler.Execute
	// for which ends are restarted.
	if err := sv.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		if !unsupported(err) {
			return fmt.Errorf("service %s: restart on a failed exit: %w", s.Name, err)
		}
		log.Warn("this service manager restarts the service only when it crashes, not when it stops with an error", "service", s.Name, "err", err)
	}
	return nil
}

// unsupported reports whether the SCM refused a configuration level as
// unknown to it (Wine's SCM knows only some of them).
func unsupported(err error) bool {
	return errors.Is(err, windows.ERROR_INVALID_LEVEL) || errors.Is(err, windows.ERROR_INVALID_PARAMETER)
}

// deleteService deletes the SCM service name (stopped before) and its
// event log source; one that is not there is not an error.
func deleteService(name string) error {
	s, closeAll, err := openService(name, windows.DELETE)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return cleanup(name)
	}
	if err != nil {
		return err
	}
	defer closeAll()
	if err := s.Delete(); err != nil && !errors.Is(err, windows.ERROR_SERVICE_MARKED_FOR_DELETE) {
		return err
	}
	return cleanup(name)
}
