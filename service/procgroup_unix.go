//go:build !windows

package service

import (
	"os"
	"os/exec"
	"syscall"

	"github.com/runnerctl/runnerctl/platform"
)

// prepareCommand puts the listener in its own process group and, when we
// are root and name is given, runs it as that user.
func prepareCommand(cmd *exec.Cmd, name string) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if name == "" || os.Geteuid() != 0 {
		return nil
	}
	return platform.RunAs(cmd, name)
}

// interruptGroup sends SIGINT to the listener's process group: the
// runner's graceful stop (it cancels a running job).
func interruptGroup(cmd *exec.Cmd) error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }

func killGroup(cmd *exec.Cmd) error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }

func exitedBySignal(ee *exec.ExitError) bool {
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled()
}

// processAlive reports whether a process with this pid exists.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
