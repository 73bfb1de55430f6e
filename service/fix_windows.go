package service

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/runnerctl/runnerctl/platform"
)

// logs returns nothing on Windows: the supervisor logs to the Application
// event log under the service's name (scmHandler), which `Get-EventLog
// -LogName Application -Source NAME` shows; runnerctl does not read it
// back.
func logs(string, time.Time, int) []string { return nil }

// openService opens service name with access, through a connection that
// asks only to connect (a status needs no administrator).
func openService(name string, access uint32) (*mgr.Service, func(), error) {
	scm, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return nil, nil, err
	}
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		windows.CloseServiceHandle(scm)
		return nil, nil, err
	}
	h, err := windows.OpenService(scm, p, access)
	if err != nil {
		windows.CloseServiceHandle(scm)
		return nil, nil, err
	}
	return &mgr.Service{Name: name, Handle: h}, func() { windows.CloseServiceHandle(h); windows.CloseServiceHandle(scm) }, nil
}

// managerState asks the SCM: the state, the exit code of a stopped
// service and the pid of a running one (runnerctl run).
func managerState(name string) (platform.ServiceState, string, int, error) {
	s, closeAll, err := openService(name, windows.SERVICE_QUERY_STATUS)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return platform.ServiceNotInstalled, string(platform.ServiceNotInstalled), 0, nil
	}
	if err != nil {
		return platform.ServiceUnknown, "", 0, fmt.Errorf("service %s: status: %w", name, err)
	}
	defer closeAll()
	q, err := s.Query()
	if err != nil {
		return platform.ServiceUnknown, "", 0, fmt.Errorf("service %s: status: %w", name, err)
	}
	switch q.State {
	case svc.Running:
		return platform.ServiceRunning, "running", int(q.ProcessId), nil
	case svc.StartPending:
		return platform.ServiceStarting, "start pending", int(q.ProcessId), nil
	case svc.StopPending:
		return platform.ServiceStopping, "stop pending", int(q.ProcessId), nil
	case svc.Stopped:
		switch {
		case q.Win32ExitCode == uint32(windows.ERROR_SERVICE_NEVER_STARTED):
			return platform.ServiceStopped, "stopped (never started)", 0, nil
		case q.Win32ExitCode == uint32(windows.ERROR_SERVICE_SPECIFIC_ERROR):
			return platform.ServiceFailed, fmt.Sprintf("stopped with exit code %d (restarted by its recovery actions)", q.ServiceSpecificExitCode), 0, nil
		case q.Win32ExitCode != 0:
			return platform.ServiceFailed, fmt.Sprintf("stopped: %v", windows.Errno(q.Win32ExitCode)), 0, nil
		}
		return platform.ServiceStopped, "stopped", 0, nil
	}
	return platform.ServiceUnknown, fmt.Sprintf("state %d", q.State), 0, nil
}

// control starts or stops the service through the SCM; a stop waits for
// it to be stopped, as long as a listener's stop may take (the
// supervisor's stop timeout, a self-update), within stopTimeoutSec.
func control(name, action string) (bool, error) {
	access := uint32(windows.SERVICE_START)
	if action != "start" {
		access = windows.SERVICE_STOP | windows.SERVICE_QUERY_STATUS
	}
	s, closeAll, err := openService(name, access)
	if err != nil {
		return true, err
	}
	defer closeAll()
	if action == "start" {
		return true, s.Start()
	}
	if _, err := s.Control(svc.Stop); err != nil && !errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE) {
		return true, err
	}
	for deadline := time.Now().Add(stopTimeoutSec * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		q, err := s.Query()
		if err != nil {
			return true, err
		}
		if q.State == svc.Stopped {
			return true, nil
		}
	}
	return true, fmt.Errorf("not stopped after %d s", stopTimeoutSec)
}

// cleanup removes the service's event log source (installService made
// it); one that is not there is not an error.
func cleanup(name string) error {
	if err := eventlog.Remove(name); err != nil && !errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
		return fmt.Errorf("service %s: remove its event log source: %w", name, err)
	}
	return nil
}
