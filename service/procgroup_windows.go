package service

import (
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/windows"
)

// prepareCommand starts the listener in a new process group, so that a
// Ctrl-Break can be sent to it alone; the service account is the user.
func prepareCommand(cmd *exec.Cmd, _ string) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP}
	return nil
}

// interruptGroup sends Ctrl-Break to the listener's group: its graceful
// stop (RunnerService.exe sends Ctrl-C or Ctrl-Break).
func interruptGroup(cmd *exec.Cmd) error {
	return windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(cmd.Process.Pid))
}

func killGroup(cmd *exec.Cmd) error { return cmd.Process.Kill() }

// interruptListener is interruptGroup on Windows: the console control
// event goes to the group the listener leads.
func interruptListener(cmd *exec.Cmd) error { return interruptGroup(cmd) }

// groupAlive and cleanupGroup: Windows has no process group to clean up
// after the listener (the SCM's job object is not ours).
func groupAlive(int) bool { return false }

func cleanupGroup(int, time.Duration) {}

func exitedBySignal(*exec.ExitError) bool { return false }

// processAlive reports whether a process with this pid is running.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return false
	}
	defer windows.CloseHandle(h)
	var code uint32
	return windows.GetExitCodeProcess(h, &code) == nil && code == 259 // STILL_ACTIVE
}
