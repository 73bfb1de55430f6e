//go:build !windows

package main

import (
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

const exeSuffix = ""

// stepCommand is a job's step: sleep.
func stepCommand(d time.Duration) *exec.Cmd {
	return exec.Command("sleep", strconv.FormatFloat(d.Seconds(), 'f', 3, 64))
}

// interrupted: the step died of a signal.
func interrupted(ee *exec.ExitError) bool { return ee.Sys().(syscall.WaitStatus).Signaled() }

// fakeStep: the step is sleep(1) here.
func fakeStep([]string) (int, bool) { return 0, false }
