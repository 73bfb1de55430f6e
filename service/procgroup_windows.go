package service

import (
	"fmt"
	"os/exec"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// A Windows console control event (Ctrl-C, Ctrl-Break: the listener's
// graceful stop) reaches only processes attached to the console it is
// generated on. Two cases:
//
//   - runnerctl run in a console (by hand): the listener shares that
//     console in a new process group, and Ctrl-Break goes to that group
//     alone (a new group ignores Ctrl-C);
//   - runnerctl run as a service (no console, as under the SCM; also any
//     run under Wine, which gives a program started from a Unix terminal
//     no Windows console): the listener gets a console of its own,
//     without a window (CREATE_NO_WINDOW, as RunnerService.exe's
//     CreateNoWindow), and the stop attaches to it to send Ctrl-C, as
//     RunnerService.exe does (AttachConsole, SetConsoleCtrlHandler(NULL,
//     TRUE) so that runnerctl does not stop itself, GenerateConsoleCtrlEvent
//     to group 0, FreeConsole). Without the attach, the event goes nowhere
//     and every stop waits StopTimeout and kills the listener.
//
// The console is per process: one supervisor runs one listener, and only
// the stop path (one goroutine) attaches.

var (
	kernel32                  = windows.NewLazySystemDLL("kernel32.dll")
	procAttachConsole         = kernel32.NewProc("AttachConsole")
	procFreeConsole           = kernel32.NewProc("FreeConsole")
	procSetConsoleCtrlHandler = kernel32.NewProc("SetConsoleCtrlHandler")
	procGetConsoleProcessList = kernel32.NewProc("GetConsoleProcessList")
)

// hasConsole reports whether this process is attached to a console.
func hasConsole() bool {
	var ids [1]uint32
	n, _, _ := procGetConsoleProcessList.Call(uintptr(unsafe.Pointer(&ids[0])), 1)
	return n > 0
}

// prepareCommand gives the listener the console the stop will use (see
// above); the service account is the user.
func prepareCommand(cmd *exec.Cmd, _ string) error {
	flags := uint32(windows.CREATE_NO_WINDOW)
	if hasConsole() {
		flags = windows.CREATE_NEW_PROCESS_GROUP
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: flags}
	return nil
}

// interruptListener sends the listener its graceful stop: Ctrl-Break to
// its group when it shares our console, else Ctrl-C on its own console.
func interruptListener(cmd *exec.Cmd) error {
	if cmd.SysProcAttr != nil && cmd.SysProcAttr.CreationFlags&windows.CREATE_NEW_PROCESS_GROUP != 0 {
		return windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(cmd.Process.Pid))
	}
	if r, _, err := procAttachConsole.Call(uintptr(cmd.Process.Pid)); r == 0 {
		return fmt.Errorf("attach to the listener's console: %w", err)
	}
	if r, _, err := procSetConsoleCtrlHandler.Call(0, 1); r == 0 {
		procFreeConsole.Call()
		return fmt.Errorf("ignore Ctrl-C in runnerctl: %w", err)
	}
	// Detached once the event has been delivered (it is asynchronous),
	// and Ctrl-C handling restored only after the detach, as
	// RunnerService.exe does (FreeConsole, then SetConsoleCtrlHandler):
	// restored while still attached, a late delivery stops runnerctl
	// itself (Go's handler lets the default one call ExitProcess).
	defer func() {
		time.Sleep(500 * time.Millisecond)
		procFreeConsole.Call()
		procSetConsoleCtrlHandler.Call(0, 0)
	}()
	if err := windows.GenerateConsoleCtrlEvent(windows.CTRL_C_EVENT, 0); err != nil {
		return fmt.Errorf("send Ctrl-C to the listener: %w", err)
	}
	return nil
}

// killGroup kills the listener. Its Runner.Worker is not in a job object
// of ours: a worker killed with it is what the graceful stop avoids.
func killGroup(cmd *exec.Cmd) error { return cmd.Process.Kill() }

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
