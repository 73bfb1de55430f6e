//go:build !windows

package service

import (
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/runnerctl/runnerctl/platform"
)

// prepareCommand puts the listener in its own process group and, when we
// are root and name is given, runs it as that user.
func prepareCommand(cmd *exec.Cmd, name string) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	dieWithSupervisor(cmd.SysProcAttr)
	if name == "" || os.Geteuid() != 0 {
		return nil
	}
	return platform.RunAs(cmd, name)
}

// interruptListener sends SIGINT to the listener's pid only, as the
// official RunnerService.js does: the runner's graceful stop, in which the
// listener cancels a running job through Runner.Worker, which cancels the
// steps in order and reports the job. Not to its process group: that would
// interrupt the worker and the steps behind the listener's back, and kill
// a self-update's _update.sh, which the real listener starts in its own
// group (.NET Process.Start, no setsid) and which must not die half-way.
func interruptListener(cmd *exec.Cmd) error { return syscall.Kill(cmd.Process.Pid, syscall.SIGINT) }

// killGroup kills the listener's whole group when it did not stop in
// time. A self-update's _update.sh in that group is still waiting for the
// listener to exit (its first step) and dies with it, before it has moved
// anything: SIGKILL reaches every member of the group at once.
func killGroup(cmd *exec.Cmd) error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }

// signalGroup sends sig to process group pgid; groupAlive reports whether
// a process is left in it (one we may not signal counts).
func signalGroup(pgid int, sig syscall.Signal) error { return syscall.Kill(-pgid, sig) }

func groupAlive(pgid int) bool {
	if pgid <= 0 {
		return false
	}
	err := syscall.Kill(-pgid, 0)
	return err == nil || err == syscall.EPERM
}

// cleanupGroup ends what is left in the listener's process group once the
// listener exited (and a self-update finished): a job's background
// processes. SIGTERM first, SIGKILL after grace. The kernel does not
// give a pid that is still a group's id to a new process, so while a
// member is left the group is the listener's; once it is empty, its id
// could only come back as another group's after the pid space wrapped in
// the seconds between the listener's exit and this call.
func cleanupGroup(pgid int, grace time.Duration) {
	if !groupAlive(pgid) {
		return
	}
	_ = signalGroup(pgid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for groupAlive(pgid) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	_ = signalGroup(pgid, syscall.SIGKILL)
}

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
