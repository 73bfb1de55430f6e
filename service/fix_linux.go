package service

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	ks "github.com/kardianos/service"

	"github.com/runnerctl/runnerctl/platform"
)

// managerState asks the host's service manager about service name: its
// state, its own words, and the main process's pid (0 when unknown).
func managerState(name string) (platform.ServiceState, string, int, error) {
	switch ks.Platform() {
	case "linux-systemd":
		return systemdState(name)
	case "unix-systemv":
		return sysvState(name)
	}
	st, err := kardianosState(name)
	return st, string(st), 0, err
}

// systemd's own exit statuses for a service that could not be started
// (systemd.exec(5), "Process Exit Codes").
var systemdExits = map[int]string{
	200: "CHDIR: the working directory is not there or not enterable by the service user",
	203: "EXEC: the program is not there or not executable by the service user",
	217: "USER: the service user does not exist",
	226: "NAMESPACE", 233: "RUNTIME_DIRECTORY",
}

// systemdState reads `systemctl show`, not `systemctl is-active` (which
// kardianos uses and which calls "activating (auto-restart)" running).
func systemdState(name string) (platform.ServiceState, string, int, error) {
	out, err := platform.SystemCommand("systemctl", "show", "--no-pager", name+".service",
		"--property=LoadState,ActiveState,SubState,Result,ExecMainCode,ExecMainStatus,MainPID,NRestarts").Output()
	if err != nil {
		return platform.ServiceUnknown, "", 0, fmt.Errorf("service %s: systemctl show: %w", name, err)
	}
	p := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			p[k] = v
		}
	}
	if p["LoadState"] == "not-found" {
		return platform.ServiceNotInstalled, "not installed", 0, nil
	}
	active, sub := p["ActiveState"], p["SubState"]
	detail := active + " (" + sub + ")"
	var st platform.ServiceState
	switch {
	case active == "active" && sub == "running":
		st = platform.ServiceRunning
	case active == "activating" && sub == "auto-restart":
		st = platform.ServiceRestarting
	case active == "activating" || active == "reloading" || active == "active":
		st = platform.ServiceStarting
	case active == "deactivating":
		st = platform.ServiceStopping
	case active == "failed":
		st = platform.ServiceFailed
	case active == "inactive":
		st = platform.ServiceStopped
	default:
		st = platform.ServiceUnknown
	}
	if r := p["Result"]; r != "" && r != "success" {
		detail += ", result " + r
	}
	code, _ := strconv.Atoi(p["ExecMainCode"])
	status, _ := strconv.Atoi(p["ExecMainStatus"])
	if st != platform.ServiceRunning && code != 0 {
		switch {
		case code == 1: // CLD_EXITED
			detail += fmt.Sprintf(", last exit status=%d", status)
			if why, ok := systemdExits[status]; ok {
				detail += "/" + why
			}
		default: // killed or dumped
			detail += fmt.Sprintf(", last exit: killed by signal %d", status)
		}
	}
	if n, _ := strconv.Atoi(p["NRestarts"]); n > 0 {
		detail += fmt.Sprintf(", restarted %d times", n)
	}
	pid, _ := strconv.Atoi(p["MainPID"])
	return st, detail, pid, nil
}

// sysvState asks the init script directly and reads its LSB exit code (0
// running, 3 stopped): kardianos v1.3.0 runs `service NAME status` and
// takes the non-zero exit of a stopped service for an error. The pid is
// the init script's pid file.
func sysvState(name string) (platform.ServiceState, string, int, error) {
	script := filepath.Join("/etc/init.d", name)
	if _, err := os.Stat(script); errors.Is(err, fs.ErrNotExist) {
		return platform.ServiceNotInstalled, "not installed", 0, nil
	}
	err := exec.Command(script, "status").Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		pid := 0
		if b, err := os.ReadFile(filepath.Join("/var/run", name+".pid")); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		return platform.ServiceRunning, fmt.Sprintf("pid %d", pid), pid, nil
	case errors.As(err, &ee) && (ee.ExitCode() == 3 || ee.ExitCode() == 1):
		return platform.ServiceStopped, "stopped", 0, nil
	}
	return platform.ServiceUnknown, "", 0, fmt.Errorf("%s status: %w", script, err)
}

// logs returns the last n lines the service logged since a time: the
// journal under systemd; with SysV /var/log/NAME.err (the supervisor's and
// listener's output), which uninstall removes, so it holds this install's.
func logs(name string, since time.Time, n int) []string {
	switch ks.Platform() {
	case "linux-systemd":
		out, err := platform.SystemCommand("journalctl", "--no-pager", "-o", "cat", "-n", strconv.Itoa(n), "-u", name+".service",
			"--since", "@"+strconv.FormatInt(since.Unix(), 10)).Output()
		if err != nil {
			return nil
		}
		return lastLines(out, n)
	case "unix-systemv":
		return tailFile(filepath.Join("/var/log", name+".err"), n)
	}
	return nil
}

// cleanup removes what kardianos v1.3.0 leaves behind on SysV: the
// /etc/rc?.d/S50NAME and K02NAME links to the removed init script, the
// pid file, and the logs /var/log/NAME.{log,err}. The logs go with the
// service by choice: they hold this install's output only (a later runner
// of the same name would quote the old lines as its own), and uninstall
// leaves no trace of runnerctl's; the runner's own _diag/ logs are in the
// runner directory. A link in a log's place is removed, not followed.
func cleanup(name string) error {
	if ks.Platform() != "unix-systemv" {
		return nil
	}
	script := filepath.Join("/etc/init.d", name)
	for _, rc := range []string{"0", "1", "2", "3", "4", "5", "6"} {
		for _, prefix := range []string{"S50", "K02"} {
			link := filepath.Join("/etc/rc"+rc+".d", prefix+name)
			if target, err := os.Readlink(link); err == nil && target == script {
				if err := os.Remove(link); err != nil {
					return fmt.Errorf("service %s: remove %s: %w", name, link, err)
				}
			}
		}
	}
	for _, p := range sysvFiles(name) {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("service %s: remove %s: %w", name, p, err)
		}
	}
	return nil
}

// control runs the SysV init script with action (start, stop) itself:
// kardianos runs `service NAME action`, and `service` (/usr/sbin) is not on
// every root's PATH. It reports false for other managers.
func control(name, action string) (bool, error) {
	if ks.Platform() != "unix-systemv" {
		return false, nil
	}
	script := filepath.Join("/etc/init.d", name)
	if out, err := exec.Command(script, action).CombinedOutput(); err != nil {
		return true, fmt.Errorf("%s %s: %w: %s", script, action, err, strings.TrimSpace(string(out)))
	}
	return true, nil
}

// sysvFiles are the files the init script writes besides the status
// directory: its pid file and logs (SysVScript).
func sysvFiles(name string) []string {
	return []string{"/var/run/" + name + ".pid", "/var/log/" + name + ".log", "/var/log/" + name + ".err"}
}
