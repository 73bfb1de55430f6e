package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
)

// Console API (kernel32), through syscall: the module's rule keeps
// golang.org/x/sys to platform and service.
var (
	kernel32                 = syscall.NewLazyDLL("kernel32.dll")
	procFreeConsole          = kernel32.NewProc("FreeConsole")
	procAttachConsole        = kernel32.NewProc("AttachConsole")
	procSetConsoleCtrlHandle = kernel32.NewProc("SetConsoleCtrlHandler")
	procGenerateCtrlEvent    = kernel32.NewProc("GenerateConsoleCtrlEvent")
)

const (
	createNoWindow = 0x08000000
	ctrlCEvent     = 0
)

func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: consolehost.exe PROGRAM [ARG...]")
		return 2
	}
	// The events it sends reach this process too once it is attached:
	// caught here, they do not end it.
	signal.Notify(make(chan os.Signal, 1), os.Interrupt)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: createNoWindow}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "consolehost: start %s: %v\n", args[0], err)
		return 2
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	go control(cmd.Process.Pid)
	err := <-done
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	fmt.Fprintf(os.Stderr, "consolehost: wait: %v\n", err)
	return 2
}

// control reads the events to send from stdin.
func control(pid int) {
	in := bufio.NewScanner(os.Stdin)
	attached := false
	for in.Scan() {
		if strings.TrimSpace(in.Text()) != "ctrl-c" {
			fmt.Fprintf(os.Stderr, "consolehost: unknown command %q\n", in.Text())
			continue
		}
		if !attached {
			// A process has one console: leave ours, join the child's.
			procFreeConsole.Call()
			if r, _, err := procAttachConsole.Call(uintptr(pid)); r == 0 {
				fmt.Fprintf(os.Stderr, "consolehost: AttachConsole(%d): %v\n", pid, err)
				continue
			}
			// Ignore Ctrl-C here, as the runner's service does.
			procSetConsoleCtrlHandle.Call(0, 1)
			attached = true
		}
		// Group 0: Wine 8 sends it to this process's group, which the
		// child (started without CREATE_NEW_PROCESS_GROUP) and its own
		// children share.
		if r, _, err := procGenerateCtrlEvent.Call(ctrlCEvent, 0); r == 0 {
			fmt.Fprintf(os.Stderr, "consolehost: GenerateConsoleCtrlEvent(CTRL_C_EVENT): %v\n", err)
			continue
		}
		fmt.Fprintf(os.Stderr, "consolehost: sent ctrl-c to the console of %d\n", pid)
	}
}
