package service

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"

	ks "github.com/kardianos/service"
)

// status works around kardianos v1.3.0 on SysV, which runs `service NAME
// status` and takes its non-zero exit for a stopped service as an error
// ("exit status 1"): the init script is asked directly and its LSB exit
// code read (0 running, 3 stopped).
func status(sv ks.Service, name string) (ks.Status, error) {
	if ks.Platform() != "unix-systemv" {
		return sv.Status()
	}
	script := filepath.Join("/etc/init.d", name)
	if _, err := os.Stat(script); errors.Is(err, fs.ErrNotExist) {
		return ks.StatusUnknown, ks.ErrNotInstalled
	}
	err := exec.Command(script, "status").Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return ks.StatusRunning, nil
	case errors.As(err, &ee) && (ee.ExitCode() == 3 || ee.ExitCode() == 1):
		return ks.StatusStopped, nil
	}
	return ks.StatusUnknown, fmt.Errorf("%s status: %w", script, err)
}

// cleanup removes what kardianos v1.3.0 leaves behind on SysV: the
// /etc/rc?.d/S50NAME and K02NAME links to the removed init script, and the
// pid file.
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
	_ = os.Remove(filepath.Join("/var/run", name+".pid"))
	return nil
}
